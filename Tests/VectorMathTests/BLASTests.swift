import XCTest
@testable import VectorMath

final class BLASTests: XCTestCase {
    private func naiveProduct(_ a: [Float], _ rowsA: Int, _ b: [Float], _ rowsB: Int, _ dim: Int) -> [Double] {
        var c = [Double](repeating: 0, count: rowsA * rowsB)
        for i in 0..<rowsA {
            for j in 0..<rowsB {
                var s = 0.0
                for t in 0..<dim { s += Double(a[i * dim + t]) * Double(b[j * dim + t]) }
                c[i * rowsB + j] = s
            }
        }
        return c
    }

    func testMultiplyTransposedMatchesNaive() {
        var rng = TestRandom(seed: 10)
        // rowsA == 1 takes the sgemv path.
        for (rowsA, rowsB, dim) in [(1, 1, 1), (1, 5, 7), (3, 4, 16), (17, 9, 33), (2, 130, 128), (1, 64, 130)] {
            let a = rng.floats(rowsA * dim), b = rng.floats(rowsB * dim)
            var c = [Float](repeating: .nan, count: rowsA * rowsB)
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BLAS.multiplyTransposed(a: pa.baseAddress!, rowsA: rowsA, b: pb.baseAddress!, rowsB: rowsB,
                                                dimension: dim, into: pc.baseAddress!)
                    }
                }
            }
            let ref = naiveProduct(a, rowsA, b, rowsB, dim)
            for i in 0..<c.count {
                XCTAssertEqual(Double(c[i]), ref[i], accuracy: 1e-5 * Double(dim),
                               "rowsA=\(rowsA) rowsB=\(rowsB) dim=\(dim) index=\(i)")
            }
        }
    }

    func testZeroDimensionGivesZeroMatrix() {
        let a: [Float] = [0], b: [Float] = [0]
        var c = [Float](repeating: .nan, count: 6)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.multiplyTransposed(a: pa.baseAddress!, rowsA: 2, b: pb.baseAddress!, rowsB: 3,
                                            dimension: 0, into: pc.baseAddress!)
                }
            }
        }
        XCTAssertEqual(c, [0, 0, 0, 0, 0, 0])
    }

    func testThreadsAndCoreName() {
        XCTAssertFalse(BLAS.coreName.isEmpty)
        let before = BLAS.threads
        BLAS.setThreads(1)
        XCTAssertEqual(BLAS.threads, 1)
        BLAS.setThreads(before)
        XCTAssertEqual(BLAS.threads, before)
    }
}
