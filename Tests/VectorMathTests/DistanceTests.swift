import XCTest
@testable import VectorMath

final class DistanceTests: XCTestCase {
    /// Sizes that hit the 64-wide, 16-wide and scalar paths, and their mixes.
    let sizes = [1, 7, 16, 33, 64, 65, 128, 130, 200]

    private func naiveDot(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    private func naiveSquaredL2(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        zip(a, b).reduce(0) { let d = Double($1.0) - Double($1.1); return $0 + d * d }
    }

    /// Float accumulation error bound, relative to the sum of absolute terms.
    private func tolerance(_ magnitude: Double, _ n: Int) -> Double {
        1e-6 * Double(n) * magnitude + 1e-6
    }

    func testKernelsMatchNaiveDoubleAtOddSizesAndUnalignedOffsets() {
        var rng = TestRandom(seed: 1)
        for n in sizes {
            for offset in [0, 1, 3] {
                let a = rng.floats(n + offset), b = rng.floats(n + offset)
                let sa = a[offset...], sb = b[offset...]
                let magnitude = zip(sa, sb).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        let x = pa.baseAddress! + offset, y = pb.baseAddress! + offset
                        let dot = Distance.dot(x, y, count: n)
                        XCTAssertEqual(Double(dot), naiveDot(sa, sb), accuracy: tolerance(magnitude, n), "dot n=\(n)")
                        let l2 = Distance.squaredL2(x, y, count: n)
                        let refL2 = naiveSquaredL2(sa, sb)
                        XCTAssertEqual(Double(l2), refL2, accuracy: tolerance(refL2, n), "squaredL2 n=\(n)")
                        let norm = Distance.squaredNorm(x, count: n)
                        let refNorm = naiveDot(sa, sa)
                        XCTAssertEqual(Double(norm), refNorm, accuracy: tolerance(refNorm, n), "squaredNorm n=\(n)")
                    }
                }
            }
        }
    }

    func testIntegerInputsAreExact() {
        var rng = TestRandom(seed: 2)
        for n in sizes {
            let a = rng.smallIntegers(n), b = rng.smallIntegers(n)
            XCTAssertEqual(Double(Distance.dot(a, b)), naiveDot(a[...], b[...]), "n=\(n)")
            XCTAssertEqual(Double(Distance.squaredL2(a, b)), naiveSquaredL2(a[...], b[...]), "n=\(n)")
            XCTAssertEqual(Double(Distance.squaredNorm(a)), naiveDot(a[...], a[...]), "n=\(n)")
        }
    }

    func testNormalizeReturnsNormAndGivesUnitVector() {
        var rng = TestRandom(seed: 3)
        for n in sizes {
            let original = rng.floats(n).map { $0 * 5 }
            var v = original
            let norm = Distance.normalize(&v)
            let refNorm = naiveDot(original[...], original[...]).squareRoot()
            XCTAssertEqual(Double(norm), refNorm, accuracy: 1e-5 * refNorm, "n=\(n)")
            XCTAssertEqual(Distance.squaredNorm(v), 1, accuracy: 1e-5, "n=\(n)")
            for i in 0..<n {
                XCTAssertEqual(Double(v[i]), Double(original[i]) / refNorm, accuracy: 1e-6, "n=\(n) i=\(i)")
            }
        }
    }

    func testNormalizeLeavesZeroVectorZero() {
        for n in [0, 1, 17, 64] {
            var v = [Float](repeating: 0, count: n)
            XCTAssertEqual(Distance.normalize(&v), 0)
            XCTAssertEqual(v, [Float](repeating: 0, count: n))
        }
    }

    func testScoreFollowsProjectConvention() {
        let a: [Float] = [1, 2, 3], b: [Float] = [4, -5, 6]
        XCTAssertEqual(Distance.score(metric: .innerProduct, a, b), 12)
        XCTAssertEqual(Distance.score(metric: .cosine, a, b), 12)
        XCTAssertEqual(Distance.score(metric: .l2, a, b), -(9 + 49 + 9))
        XCTAssertEqual(Metric.l2.displayScore(Distance.score(metric: .l2, a, b)), 67)
    }

    func testBufferOverloadsMatchPointerFormsAndEmptyIsZero() {
        var rng = TestRandom(seed: 4)
        let a = rng.floats(33), b = rng.floats(33)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                XCTAssertEqual(Distance.dot(pa, pb), Distance.dot(pa.baseAddress!, pb.baseAddress!, count: 33))
                XCTAssertEqual(Distance.squaredL2(pa, pb),
                               Distance.squaredL2(pa.baseAddress!, pb.baseAddress!, count: 33))
                XCTAssertEqual(Distance.squaredNorm(pa), Distance.squaredNorm(pa.baseAddress!, count: 33))
                XCTAssertEqual(Distance.score(metric: .l2, pa, pb),
                               -Distance.squaredL2(pa.baseAddress!, pb.baseAddress!, count: 33))
            }
        }
        XCTAssertEqual(Distance.dot([], []), 0)
        XCTAssertEqual(Distance.squaredL2([], []), 0)
        XCTAssertEqual(Distance.squaredNorm([]), 0)
    }

    /// L2 shows the squared distance; an exact match shows 0, not -0.
    func testDisplayScore() {
        XCTAssertEqual(Metric.l2.displayScore(-2.5), 2.5)
        XCTAssertEqual(Metric.l2.displayScore(0).sign, .plus)
        XCTAssertEqual(Metric.l2.displayScore(-0.0).sign, .plus)
        XCTAssertEqual(Metric.innerProduct.displayScore(-2.5), -2.5)
    }
}
