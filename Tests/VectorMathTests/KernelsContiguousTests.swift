import XCTest
@testable import VectorMath

/// The contiguous-row kernels (IVF list scans): against naive sums at every level, and
/// bit-identical across their forms (whole list, one row at a time, query blocks).
final class KernelsContiguousTests: XCTestCase {
    private func naiveSquaredL2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> (value: Double, magnitude: Double) {
        var s = 0.0
        for i in 0..<n {
            let d = Double(a[i]) - Double(b[i])
            s += d * d
        }
        return (s, s)
    }

    func testFloatRowsMatchNaiveAndAgreeAcrossForms() {
        var random = TestRandom(seed: 41)
        forEachKernelLevel { level in
            for d in [1, 5, 15, 16, 17, 31, 32, 33, 64, 100, 128, 130] {
                for n in [0, 1, 3, 4, 5, 8, 9, 13] {
                    let m = 3
                    let rows = random.floats(n * d), queries = random.floats(m * d)
                    for l2 in [false, true] {
                        var whole = [Float](repeating: .nan, count: m * n)
                        var block = [Float](repeating: .nan, count: m * n)
                        rows.withUnsafeBufferPointer { r in
                            queries.withUnsafeBufferPointer { q in
                                for j in 0..<m {
                                    let qj = q.baseAddress! + j * d
                                    whole.withUnsafeMutableBufferPointer { out in
                                        let o = out.baseAddress! + j * n
                                        if l2 {
                                            Kernels.squaredL2Contiguous(qj, rows: r.baseAddress!, count: n, dimension: d, into: o)
                                        } else {
                                            Kernels.dotContiguous(qj, rows: r.baseAddress!, count: n, dimension: d, into: o)
                                        }
                                    }
                                    for i in 0..<n {
                                        var one: Float = .nan
                                        let row = r.baseAddress! + i * d
                                        if l2 {
                                            Kernels.squaredL2Contiguous(qj, rows: row, count: 1, dimension: d, into: &one)
                                        } else {
                                            Kernels.dotContiguous(qj, rows: row, count: 1, dimension: d, into: &one)
                                        }
                                        XCTAssertEqual(one.bitPattern, whole[j * n + i].bitPattern,
                                                       "\(level) l2 \(l2) d \(d) n \(n) row \(i): one row alone scores the same bits")
                                        let naive = l2 ? naiveSquaredL2(qj, row, d) : naiveDot(qj, row, d)
                                        XCTAssertEqual(Double(one), naive.value, accuracy: kernelTolerance(naive.magnitude, d),
                                                       "\(level) l2 \(l2) d \(d) row \(i)")
                                    }
                                }
                                block.withUnsafeMutableBufferPointer { out in
                                    if l2 {
                                        Kernels.squaredL2Block(queries: q.baseAddress!, queryCount: m, rows: r.baseAddress!,
                                                               rowCount: n, dimension: d, into: out.baseAddress!)
                                    } else {
                                        Kernels.dotBlock(queries: q.baseAddress!, queryCount: m, rows: r.baseAddress!,
                                                         rowCount: n, dimension: d, into: out.baseAddress!)
                                    }
                                }
                            }
                        }
                        XCTAssertEqual(block.map(\.bitPattern), whole.map(\.bitPattern),
                                       "\(level) l2 \(l2) d \(d) n \(n): the block form scores the same bits")
                    }
                }
            }
        }
    }

    func testInt16Int8RowsAreExact() {
        var random = TestRandom(seed: 43)
        forEachKernelLevel { level in
            for d in [1, 7, 16, 31, 32, 33, 64, 100, 128, 130] {
                let n = 9
                // The largest weights the caller allows for this dimension (IVFInt8Quantizer).
                let limit = min(32_767, Int(Int32.max) / (128 * d))
                let weights = (0..<d).map { _ in Int16(Int.random(in: -limit...limit, using: &random)) }
                var codes = (0 ..< n * d).map { _ in Int8(Int.random(in: -127...127, using: &random)) }
                for j in 0..<d { codes[j] = weights[j] < 0 ? -127 : 127 }  // row 0: the largest sum
                var out = [Int32](repeating: 0, count: n)
                weights.withUnsafeBufferPointer { w in
                    codes.withUnsafeBufferPointer { c in
                        out.withUnsafeMutableBufferPointer {
                            Kernels.i16i8DotContiguous(weights: w.baseAddress!, codes: c.baseAddress!, count: n, dimension: d,
                                                       into: $0.baseAddress!)
                        }
                    }
                }
                for i in 0..<n {
                    let naive = (0..<d).reduce(Int64(0)) { $0 + Int64(weights[$1]) * Int64(codes[i * d + $1]) }
                    XCTAssertEqual(Int64(out[i]), naive, "\(level) d \(d) row \(i)")
                }
            }
        }
    }
}
