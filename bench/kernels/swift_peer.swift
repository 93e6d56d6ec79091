// Swift side of the kernel benchmark: the old SIMD16 `Distance` kernels (compiled by swiftc -O
// with no AVX flags, as the package builds them) and the `Kernels` wrappers over the C kernels,
// on the same hot data layout as bench.c (ROWS rows of DIM floats, min of REPEATS timings).
// bench/kernels.sh compiles this file together with Sources/VectorMath/{Distance,Metric,
// Kernels,Kernels+Quantized}.swift. Prints tab-separated lines: name, level, ns per distance.
#if canImport(Glibc)
import Glibc
#endif

@main
struct SwiftPeer {
    static let rows = 256, repeats = 7, reps = 2000

    static func nowNs() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
    }

    static func time(_ name: String, _ level: String, dim: Int, _ body: (Int) -> Float) {
        var best = Double.infinity
        var sink: Float = 0
        for _ in 0..<repeats {
            let t0 = nowNs()
            for _ in 0..<reps {
                for r in 0..<rows { sink += body(r) }
            }
            best = min(best, (nowNs() - t0) / Double(reps * rows))
        }
        if sink == .infinity { print("") } // keeps the work observable
        print("\(name)\t\(level)\t\((best * 100).rounded() / 100)")
    }

    static func main() {
        let dim = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 128 : 128
        var state: UInt64 = 1
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        let query = (0..<dim).map { _ in next() }
        let data = (0..<(rows * dim)).map { _ in next() }
        query.withUnsafeBufferPointer { qb in
            data.withUnsafeBufferPointer { db in
                let q = qb.baseAddress!, d = db.baseAddress!
                time("Swift Distance.dot (SIMD16)", "-", dim: dim) { Distance.dot(q, d + $0 * dim, count: dim) }
                time("Swift Distance.squaredL2 (SIMD16)", "-", dim: dim) {
                    Distance.squaredL2(q, d + $0 * dim, count: dim)
                }
                for level in Kernels.supportedLevels {
                    Kernels.setLevel(level)
                    time("Swift Kernels.dot", level.rawValue, dim: dim) { Kernels.dot(q, d + $0 * dim, count: dim) }
                }
                Kernels.setLevel(nil)
            }
        }
    }
}
