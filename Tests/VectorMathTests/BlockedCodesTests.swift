import XCTest
@testable import VectorMath

/// Blocked uint8 codes: layout round trip, the scan against a naive reference at every kernel
/// level (same rows pass, in order), and the split's error bound.
final class BlockedCodesTests: XCTestCase {
    private func randomCodes(_ rows: Int, _ d: Int, _ rng: inout TestRandom) -> [[UInt8]] {
        (0..<rows).map { _ in (0..<d).map { _ in UInt8.random(in: 0...255, using: &rng) } }
    }

    /// Random int8 query parts for `codes`, zero past the dimension.
    private func randomParts(_ codes: BlockedCodes, _ rng: inout TestRandom) -> (hi: [Int8], lo: [Int8]) {
        let padded = codes.groups * 4, d = codes.dimension
        var hi = (0..<padded).map { _ in Int8.random(in: -127...127, using: &rng) }
        var lo = (0..<padded).map { _ in Int8.random(in: -127...127, using: &rng) }
        for j in d..<padded { hi[j] = 0; lo[j] = 0 }
        return (hi, lo)
    }

    func testSetGetRoundTripAndOverwrite() {
        var rng = TestRandom(seed: 41)
        for d in [1, 3, 4, 5, 37, 128] {
            let codes = BlockedCodes(dimension: d)
            XCTAssertEqual(codes.groups, (d + 3) / 4)
            var rows = randomCodes(35, d, &rng)
            for (i, r) in rows.enumerated() { codes.set(i, codes: r) }
            XCTAssertEqual(codes.count, 35)
            rows[17] = (0..<d).map { _ in UInt8.random(in: 0...255, using: &rng) }
            codes.set(17, codes: rows[17])
            var out = [UInt8](repeating: 0, count: d)
            for i in 0..<35 {
                codes.get(i, into: &out)
                XCTAssertEqual(out, rows[i], "d=\(d) row \(i)")
            }
        }
    }

    /// Every level returns exactly the rows whose naive score reaches the minimum, in order;
    /// padding rows (past count) and padding components never score.
    func testScanMatchesNaiveReferenceAtEveryLevel() {
        var rng = TestRandom(seed: 42)
        for (d, n) in [(5, 3), (16, 16), (37, 50), (128, 333), (130, 17)] {
            let codes = BlockedCodes(dimension: d)
            let rows = randomCodes(n, d, &rng)
            for (i, r) in rows.enumerated() { codes.set(i, codes: r) }
            let (hi, lo) = randomParts(codes, &rng)
            let naive: [Float] = rows.map { r in
                var h: Int32 = 0, l: Int32 = 0
                for j in 0..<d { h += Int32(hi[j]) * Int32(r[j]); l += Int32(lo[j]) * Int32(r[j]) }
                let low = Float(l) * (1 / Float(254))
                return Float(h) + low
            }
            let sorted = naive.sorted()
            for minScore in [-Float.infinity, sorted[n / 2], sorted[n - 1], sorted[n - 1] + 1] {
                let expected = (0..<n).filter { naive[$0] >= minScore }.map(UInt32.init)
                forEachKernelLevel { level in
                    var passing = [UInt32](repeating: .max, count: n)
                    let got = codes.scan(hi: hi, lo: lo, minScore: minScore, into: &passing)
                    XCTAssertEqual(Array(passing[0..<got]), expected,
                                   "d=\(d) n=\(n) min=\(minScore) \(level) (\(BlockedCodes.implementation))")
                }
            }
        }
    }

    /// With a per-row term, every level gives the naive `f + alpha * a[i]` (a product, then a
    /// sum): `scores` writes exactly those values and returns their maximum, `scan` and
    /// `atLeast` pass exactly the rows reaching the minimum, in order.
    func testRowTermsScoresAndAtLeastMatchNaiveReferenceAtEveryLevel() {
        var rng = TestRandom(seed: 44)
        for (d, n) in [(5, 3), (16, 16), (37, 50), (128, 333), (130, 17), (64, 4000)] {
            let codes = BlockedCodes(dimension: d)
            let rows = randomCodes(n, d, &rng)
            for (i, r) in rows.enumerated() { codes.set(i, codes: r) }
            let (hi, lo) = randomParts(codes, &rng)
            let terms = rng.floats(n).map { $0 * 1000 }
            let alpha: Float = -0.37
            let naive: [Float] = rows.enumerated().map { i, r in
                var h: Int32 = 0, l: Int32 = 0
                for j in 0..<d { h += Int32(hi[j]) * Int32(r[j]); l += Int32(lo[j]) * Int32(r[j]) }
                let low = Float(l) * (1 / Float(254))
                let f = Float(h) + low
                let t = alpha * terms[i]
                return f + t
            }
            let sorted = naive.sorted()
            forEachKernelLevel { level in
                var out = [Float](repeating: .nan, count: (n + 15) / 16 * 16)
                let best = terms.withUnsafeBufferPointer { t in
                    codes.scores(hi: hi, lo: lo, rowTerms: t.baseAddress!, alpha: alpha, into: &out)
                }
                XCTAssertEqual(Array(out[0..<n]), naive, "d=\(d) n=\(n) \(level)")
                XCTAssertEqual(best, sorted[n - 1], "d=\(d) n=\(n) \(level)")
                for minScore in [-Float.infinity, sorted[n / 2], sorted[n - 1], sorted[n - 1] + 1] {
                    let expected = (0..<n).filter { naive[$0] >= minScore }.map(UInt32.init)
                    var passing = [UInt32](repeating: .max, count: n)
                    let got = BlockedCodes.atLeast(out, count: n, minScore: minScore, into: &passing)
                    XCTAssertEqual(Array(passing[0..<got]), expected, "atLeast d=\(d) n=\(n) \(level)")
                    var scanned = [UInt32](repeating: .max, count: n)
                    let blocks = [UInt8](unsafeUninitializedCapacity: BlockedCodes.byteCount(rows: n, dimension: d)) { buf, count in
                        buf.initialize(repeating: 0)
                        for (i, r) in rows.enumerated() { BlockedCodes.store(r, row: i, dimension: d, into: buf.baseAddress!) }
                        count = buf.count
                    }
                    let passed = terms.withUnsafeBufferPointer { t in
                        BlockedCodes.scan(blocks, rows: n, dimension: d, hi: hi, lo: lo, rowTerms: t.baseAddress!,
                                          alpha: alpha, minScore: minScore, into: &scanned)
                    }
                    XCTAssertEqual(Array(scanned[0..<passed]), expected, "scan d=\(d) n=\(n) \(level)")
                }
            }
        }
    }

    /// Residual encoding: the codes land where `BlockedCodes` reads row codes, decode within
    /// half a step inside the range, and the returned error norm and clipped flag match a
    /// naive computation (a row outside the range is clipped, one inside is not).
    func testEncodeResidualsMatchesNaiveReference() {
        var rng = TestRandom(seed: 45)
        for (d, n) in [(5, 3), (37, 40), (128, 33)] {
            let center = rng.floats(d)
            var rows = (0..<(n * d)).map { center[$0 % d] + rng.floats(1)[0] * 1.1 }  // residuals within the range
            let lower = (0..<d).map { _ in Float(-1.2) }, upper = (0..<d).map { _ in Float(1.2) }
            let quantizer = ScalarQuantizer(lower: lower, upper: upper)
            let step = quantizer.step
            for inside in [true, false] {
                if !inside { rows[d + 1] = center[1] + 9 }  // row 1, component 1: far outside
                var blocks = [UInt8](repeating: 0, count: BlockedCodes.byteCount(rows: n, dimension: d))
                let (maxError, clipped) = BlockedCodes.encodeResiduals(rows, count: n, center: center, quantizer: quantizer,
                                                                       halfStep: 0.5005, into: &blocks)
                XCTAssertEqual(clipped, !inside, "d=\(d)")
                let codes = BlockedCodes(dimension: d)
                var naiveWorst: Float = 0
                var row = [UInt8](repeating: 0, count: d)
                for i in 0..<n {
                    for j in 0..<d { row[j] = blocks[(i / 16) * codes.groups * 64 + (i % 16) * 4 + (j / 4) * 64 + j % 4] }
                    codes.set(i, codes: row)
                    var error: Float = 0
                    for j in 0..<d {
                        let r = rows[i * d + j] - center[j]
                        let e = r - (lower[j] + Float(row[j]) * step[j])
                        if r >= lower[j] && r <= upper[j] { XCTAssertLessThanOrEqual(abs(e), step[j] * 0.5005, "d=\(d) row \(i) component \(j)") }
                        error += e * e
                    }
                    naiveWorst = max(naiveWorst, error.squareRoot())
                }
                XCTAssertEqual(maxError, naiveWorst, accuracy: naiveWorst * 1e-5, "d=\(d)")
                // Padding components and rows past n hold code 0.
                for b in 0..<(blocks.count / (codes.groups * 64)) {
                    for g in 0..<codes.groups {
                        for r in 0..<16 {
                            for t in 0..<4 where b * 16 + r >= n || g * 4 + t >= d {
                                XCTAssertEqual(blocks[(b * codes.groups + g) * 64 + r * 4 + t], 0)
                            }
                        }
                    }
                }
                var low = [Float](repeating: .infinity, count: d), high = [Float](repeating: -.infinity, count: d)
                BlockedCodes.widenResidualRange(rows, count: n, dimension: d, center: center, lower: &low, upper: &high)
                for j in 0..<d {
                    let column = (0..<n).map { rows[$0 * d + j] - center[j] }
                    XCTAssertEqual(low[j], column.min()!)
                    XCTAssertEqual(high[j], column.max()!)
                }
            }
        }
    }

    /// `scale * (hi . c + lo . c / 254)` stays within the returned error of `sum w_j c_j`,
    /// including for the extreme codes 0 and 255 and weights of mixed magnitudes.
    func testSplitErrorBoundsTheFloatWeights() {
        var rng = TestRandom(seed: 43)
        let d = 128
        let codes = BlockedCodes(dimension: d)
        var rows = randomCodes(200, d, &rng)
        rows.append([UInt8](repeating: 255, count: d))
        rows.append((0..<d).map { $0 % 2 == 0 ? 255 : 0 })
        for (i, r) in rows.enumerated() { codes.set(i, codes: r) }
        for trial in 0..<20 {
            var w = rng.floats(d).map { $0 * Float(1 + trial) }
            w[trial] *= 40  // one large weight
            let padded = codes.groups * 4
            var hi = [Int8](repeating: 1, count: padded), lo = [Int8](repeating: 1, count: padded)
            let (scale, error) = codes.split(w, hi: &hi, lo: &lo)
            XCTAssertGreaterThan(scale, 0)
            XCTAssertLessThan(error, scale * 200, "the split is much finer than one int8 step")
            for r in rows {
                var exact = 0.0, h = 0, l = 0
                for j in 0..<d {
                    exact += Double(w[j]) * Double(r[j])
                    h += Int(hi[j]) * Int(r[j])
                    l += Int(lo[j]) * Int(r[j])
                }
                let approx = Double(scale) * (Double(h) + Double(l) / 254)
                XCTAssertLessThanOrEqual(abs(approx - exact), Double(error), "trial \(trial)")
            }
        }
        var hi = [Int8](repeating: 1, count: codes.groups * 4), lo = hi
        let zero = [Float](repeating: 0, count: d)
        let (scale, error) = codes.split(zero, hi: &hi, lo: &lo)
        XCTAssertEqual(error, 0)
        XCTAssertEqual(scale, 1)
        XCTAssertTrue(hi.allSatisfy { $0 == 0 } && lo.allSatisfy { $0 == 0 })
    }
}
