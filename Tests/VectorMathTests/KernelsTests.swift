import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import VectorMath

/// Runs `body` once per level this CPU supports, with that level forced, then restores the
/// default level. Every kernel test goes through here, so each level's code is tested.
func forEachKernelLevel(_ body: (Kernels.Level) throws -> Void) rethrows {
    defer { Kernels.setLevel(nil) }
    for level in Kernels.supportedLevels {
        XCTAssertTrue(Kernels.setLevel(level), "level \(level) is supported but could not be set")
        XCTAssertEqual(Kernels.level, level)
        try body(level)
    }
}

/// Sizes around the 8-, 16-, 32- and 64-wide steps and their tails.
let kernelSizes = [1, 3, 15, 16, 17, 31, 64, 100, 128, 129, 256, 1000]

func naiveDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> (value: Double, magnitude: Double) {
    var s = 0.0, m = 0.0
    for i in 0..<n {
        let p = Double(a[i]) * Double(b[i])
        s += p
        m += abs(p)
    }
    return (s, m)
}

/// Float accumulation error bound relative to the sum of absolute terms.
func kernelTolerance(_ magnitude: Double, _ n: Int) -> Double {
    2e-7 * Double(n) * magnitude + 1e-6
}

final class KernelsTests: XCTestCase {
    private func naiveSquaredL2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Double {
        var s = 0.0
        for i in 0..<n {
            let d = Double(a[i]) - Double(b[i])
            s += d * d
        }
        return s
    }

    #if os(Linux)
    func testBestLevelMatchesTheCPUFlagsInProcCpuinfo() throws {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(line.split(separator: " ").map(String.init))
        let avx2 = flags.isSuperset(of: ["avx2", "fma", "f16c"])
        let avx512 = avx2 && flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"])
        let expected: Kernels.Level = avx512 ? .avx512 : (avx2 ? .avx2 : .generic)
        XCTAssertEqual(Kernels.supportedLevels, Kernels.Level.allCases.filter { $0 <= expected })
        XCTAssertEqual(Kernels.usesVNNI, avx512 && flags.contains("avx512_vnni"))
    }
    #endif

    /// Runs `body`, then puts ANN_KERNELS back as the process started with it.
    private func preservingEnvironment(_ body: () -> Void) {
        let saved = getenv("ANN_KERNELS").map { String(cString: $0) }
        defer {
            if let saved { setenv("ANN_KERNELS", saved, 1) } else { unsetenv("ANN_KERNELS") }
            Kernels.setLevel(nil)
        }
        body()
    }

    func testSetLevelForcesEachLevelAndNilRestoresTheBest() {
        preservingEnvironment { checkSetLevel() }
    }

    private func checkSetLevel() {
        let best = Kernels.supportedLevels.last!
        XCTAssertEqual(Kernels.supportedLevels.first, .generic)
        for level in Kernels.Level.allCases {
            let before = Kernels.level
            let supported = Kernels.supportedLevels.contains(level)
            XCTAssertEqual(Kernels.setLevel(level), supported, "\(level)")
            XCTAssertEqual(Kernels.level, supported ? level : before, "\(level)")
        }
        unsetenv("ANN_KERNELS")
        Kernels.setLevel(nil)
        XCTAssertEqual(Kernels.level, best)
        XCTAssertEqual(Kernels.level.rawValue, best.description)
    }

    func testEnvironmentVariableCapsTheDefaultLevel() {
        preservingEnvironment { checkEnvironmentVariable() }
    }

    private func checkEnvironmentVariable() {
        let best = Kernels.supportedLevels.last!
        for level in Kernels.Level.allCases {
            setenv("ANN_KERNELS", level.rawValue, 1)
            Kernels.setLevel(nil)
            XCTAssertEqual(Kernels.level, min(level, best), "ANN_KERNELS=\(level)")
        }
        setenv("ANN_KERNELS", "sse9", 1)
        Kernels.setLevel(nil)
        XCTAssertEqual(Kernels.level, best, "an unknown name is ignored")
    }

    func testFloatKernelsMatchNaiveDoubleAtEveryLevelSizeAndOffset() {
        var rng = TestRandom(seed: 11)
        forEachKernelLevel { level in
            for n in kernelSizes {
                for offset in [0, 1, 3] {
                    let a = rng.floats(n + offset), b = rng.floats(n + offset)
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            let x = pa.baseAddress! + offset, y = pb.baseAddress! + offset
                            let ref = naiveDot(x, y, n)
                            XCTAssertEqual(Double(Kernels.dot(x, y, count: n)), ref.value,
                                           accuracy: kernelTolerance(ref.magnitude, n), "dot \(level) n=\(n)")
                            let l2 = naiveSquaredL2(x, y, n)
                            XCTAssertEqual(Double(Kernels.squaredL2(x, y, count: n)), l2,
                                           accuracy: kernelTolerance(l2, n), "squaredL2 \(level) n=\(n)")
                        }
                    }
                }
            }
        }
    }

    func testIntegerInputsAreExactAtEveryLevel() {
        var rng = TestRandom(seed: 12)
        forEachKernelLevel { level in
            for n in kernelSizes {
                let a = rng.smallIntegers(n), b = rng.smallIntegers(n)
                XCTAssertEqual(Double(Kernels.dot(a, b, count: n)), naiveDot(a, b, n).value, "\(level) n=\(n)")
                XCTAssertEqual(Double(Kernels.squaredL2(a, b, count: n)), naiveSquaredL2(a, b, n), "\(level) n=\(n)")
            }
        }
    }

    func testZeroCountGivesZero() {
        let a: [Float] = [1, 2], b: [Float] = [3, 4]
        forEachKernelLevel { level in
            XCTAssertEqual(Kernels.dot(a, b, count: 0), 0, "\(level)")
            XCTAssertEqual(Kernels.squaredL2(a, b, count: 0), 0, "\(level)")
        }
    }

    /// Rows that end exactly at a page followed by an unreadable page: a kernel that reads past
    /// the last element (rather than masking the tail) crashes here.
    func testTailsNeverReadPastTheLastElement() throws {
        #if canImport(Glibc)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let map = try XCTUnwrap(mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        XCTAssertNotEqual(map, UnsafeMutableRawPointer(bitPattern: -1), "mmap failed")
        defer { munmap(map, 2 * page) }
        XCTAssertEqual(mprotect(map + page, page, PROT_NONE), 0)
        let end = map + page
        forEachKernelLevel { level in
            for n in [1, 7, 15, 17, 31, 33, 63, 65, 127, 129] {
                let f = (end - 4 * n).bindMemory(to: Float.self, capacity: n)
                for i in 0..<n { f[i] = 1 }
                XCTAssertEqual(Kernels.dot(f, f, count: n), Float(n), "dot \(level) n=\(n)")
                XCTAssertEqual(Kernels.squaredL2(f, f, count: n), 0, "squaredL2 \(level) n=\(n)")
                let q = [Float](repeating: 1, count: n)
                let u = (end - n).bindMemory(to: UInt8.self, capacity: n)
                u.update(repeating: 2, count: n)
                XCTAssertEqual(Kernels.u8Dot(q, u, count: n), Float(2 * n), "u8Dot \(level) n=\(n)")
                let s = (end - n).bindMemory(to: Int8.self, capacity: n)
                s.update(repeating: -3, count: n)
                XCTAssertEqual(Kernels.i8Dot(s, s, count: n), Int32(9 * n), "i8Dot \(level) n=\(n)")
                let h = (end - 2 * n).bindMemory(to: UInt16.self, capacity: n)
                h.update(repeating: 0x3C00, count: n) // 1.0
                XCTAssertEqual(Kernels.f16Dot(q, h, count: n), Float(n), "f16Dot \(level) n=\(n)")
            }
        }
        #endif
    }

    func testGatherAndRowsFormsEqualTheSingleForms() {
        var rng = TestRandom(seed: 13)
        let rows = 50
        forEachKernelLevel { level in
            for dim in [1, 15, 17, 64, 100, 128, 129] {
                for (stride, offset) in [(dim, 0), (dim + 3, 1)] {
                    let base = rng.floats(rows * stride + offset), query = rng.floats(dim)
                    // Repeats, descending and out-of-order ids, the last row included.
                    let ids: [UInt32] = [7, 0, 49, 7, 3, 48, 12, 25, 25, 1, 30, 44, 2]
                    base.withUnsafeBufferPointer { b in
                        let first = b.baseAddress! + offset
                        let rowPointers: [UnsafePointer<Float>?] = ids.map { first + Int($0) * stride }
                        var dots = [Float](repeating: .nan, count: ids.count), l2s = dots
                        var rowDots = dots, rowL2s = dots
                        Kernels.dotGather(query, base: first, stride: stride, ids: ids, count: ids.count,
                                          dimension: dim, into: &dots)
                        Kernels.squaredL2Gather(query, base: first, stride: stride, ids: ids, count: ids.count,
                                                dimension: dim, into: &l2s)
                        Kernels.dotRows(query, rows: rowPointers, count: ids.count, dimension: dim, into: &rowDots)
                        Kernels.squaredL2Rows(query, rows: rowPointers, count: ids.count, dimension: dim,
                                              into: &rowL2s)
                        for (i, id) in ids.enumerated() {
                            let row = first + Int(id) * stride
                            let dot = Kernels.dot(query, row, count: dim)
                            let l2 = Kernels.squaredL2(query, row, count: dim)
                            XCTAssertEqual(dots[i], dot, "dotGather \(level) dim=\(dim) i=\(i)")
                            XCTAssertEqual(rowDots[i], dot, "dotRows \(level) dim=\(dim) i=\(i)")
                            XCTAssertEqual(l2s[i], l2, "squaredL2Gather \(level) dim=\(dim) i=\(i)")
                            XCTAssertEqual(rowL2s[i], l2, "squaredL2Rows \(level) dim=\(dim) i=\(i)")
                        }
                    }
                }
            }
        }
    }

    func testGatherWithNoIdsWritesNothing() {
        let base: [Float] = [1, 2, 3, 4], ids: [UInt32] = [0]
        forEachKernelLevel { level in
            var out: [Float] = [42]
            Kernels.dotGather(base, base: base, stride: 2, ids: ids, count: 0, dimension: 2, into: &out)
            XCTAssertEqual(out, [42], "\(level)")
            Kernels.dotGather(base, base: base, stride: 2, ids: ids, count: 1, dimension: 0, into: &out)
            XCTAssertEqual(out, [0], "dimension 0 scores 0 at \(level)")
        }
    }
}
