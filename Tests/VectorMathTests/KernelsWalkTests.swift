import XCTest
@testable import VectorMath

/// uint8 x int8 walk kernel: exact integer sums at every level, gather == single form.
final class KernelsWalkTests: XCTestCase {
    func testU8S8DotIsExactOverTheWholeRangeAtEveryLevel() {
        var rng = TestRandom(seed: 31)
        forEachKernelLevel { level in
            for n in kernelSizes + [128, 200, 257] {
                for offset in [0, 1, 3] {
                    let q = (0..<(n + offset)).map { _ in Int8.random(in: .min ... .max, using: &rng) }
                    let c = (0..<(n + offset)).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
                    var ref = 0
                    for j in offset..<(n + offset) { ref += Int(q[j]) * Int(c[j]) }
                    q.withUnsafeBufferPointer { pq in
                        c.withUnsafeBufferPointer { pc in
                            let got = Kernels.u8s8Dot(pq.baseAddress! + offset, pc.baseAddress! + offset, count: n)
                            XCTAssertEqual(Int(got), ref, "u8s8Dot \(level) (\(Kernels.u8s8Implementation)) n=\(n) offset=\(offset)")
                        }
                    }
                }
            }
            let n = 1000
            let low = [Int8](repeating: .min, count: n), high = [Int8](repeating: .max, count: n)
            let full = [UInt8](repeating: 255, count: n)
            XCTAssertEqual(Kernels.u8s8Dot(low, full, count: n), Int32(-128 * 255 * n), "\(level)")
            XCTAssertEqual(Kernels.u8s8Dot(high, full, count: n), Int32(127 * 255 * n), "\(level)")
        }
    }

    func testU8S8GatherEqualsTheSingleFormAtEveryLevel() {
        var rng = TestRandom(seed: 32)
        let d = 100, rows = 64
        let q = (0..<d).map { _ in Int8.random(in: .min ... .max, using: &rng) }
        let base = (0..<(rows * d)).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
        let ids: [UInt32] = (0..<40).map { _ in UInt32.random(in: 0 ..< UInt32(rows), using: &rng) }
        forEachKernelLevel { level in
            var out = [Int32](repeating: 0, count: ids.count)
            base.withUnsafeBufferPointer { b in
                Kernels.u8s8DotGather(q, base: b.baseAddress!, stride: d, ids: ids, count: ids.count, dimension: d, into: &out)
                for (i, id) in ids.enumerated() {
                    XCTAssertEqual(out[i], Kernels.u8s8Dot(q, b.baseAddress! + Int(id) * d, count: d), "\(level) row \(id)")
                }
            }
        }
    }
}
