import XCTest
@testable import VectorMath

final class ExactScannerTests: XCTestCase {
    /// Naive reference in double precision: every non-vacant accepted row scored, full sort by
    /// (score desc, id asc), first k.
    private func reference(metric: Metric, data: [Float], dim: Int, query: ArraySlice<Float>, k: Int,
                           accept: ((UInt32) -> Bool)?) -> [(id: UInt32, score: Double)] {
        var q = query.map(Double.init)
        if metric == .cosine {
            let norm = q.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { q = q.map { $0 / norm } }
        }
        var all: [(id: UInt32, score: Double)] = []
        for row in 0..<(data.count / dim) {
            let x = data[(row * dim)..<((row + 1) * dim)]
            if x.first!.isNaN || !(accept?(UInt32(row)) ?? true) { continue }
            var s = 0.0
            for (a, b) in zip(q, x) {
                s += metric == .l2 ? (a - Double(b)) * (a - Double(b)) : a * Double(b)
            }
            all.append((UInt32(row), metric == .l2 ? -s : s))
        }
        all.sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        return Array(all.prefix(k))
    }

    /// Runs the scanner over `data` split into blocks of the given sizes.
    private func scan(_ scanner: inout ExactScanner, data: [Float], dim: Int, blocks: [Int],
                      withNorms: Bool, accept: ((UInt32) -> Bool)?) {
        let norms: [Float] = stride(from: 0, to: data.count, by: dim).map { start in
            data[start..<(start + dim)].reduce(0) { $0 + $1 * $1 }
        }
        data.withUnsafeBufferPointer { d in
            norms.withUnsafeBufferPointer { n in
                var row = 0
                for size in blocks {
                    scanner.scan(block: d.baseAddress! + row * dim, count: size, firstID: UInt32(row),
                                 squaredNorms: withNorms ? n.baseAddress! + row : nil, accept: accept)
                    row += size
                }
                XCTAssertEqual(row * dim, data.count, "blocks must cover the data")
            }
        }
    }

    /// Integer data: every score is exact in Float, so results must equal the reference exactly,
    /// ties (frequent with such data) included.
    func testExactOnIntegerDataWithTiesVacantRowFilterAndBlocks() {
        var rng = TestRandom(seed: 30)
        let dim = 8, rows = 60
        // Components in -1...1: few distinct scores, so ties straddle the k boundary.
        var data = rng.smallIntegers(rows * dim, limit: 1)
        data[7 * dim] = .nan  // vacant rows
        data[40 * dim] = .nan
        let accept: (UInt32) -> Bool = { $0 % 3 != 1 }
        for metric in [Metric.innerProduct, .l2] {
            for nq in [1, 4] {
                let queries = rng.smallIntegers(nq * dim, limit: 1)
                for (k, filter, withNorms) in [(5, false, true), (10, true, false), (100, false, false), (100, true, true)] {
                    var scanner = ExactScanner(metric: metric, dimension: dim, k: k, maxQueries: 4, chunkRows: 7)
                    queries.withUnsafeBufferPointer { scanner.setQueries($0, count: nq) }
                    scan(&scanner, data: data, dim: dim, blocks: [13, 1, 30, 16], withNorms: withNorms,
                         accept: filter ? accept : nil)
                    for qi in 0..<nq {
                        let ref = reference(metric: metric, data: data, dim: dim,
                                            query: queries[(qi * dim)..<((qi + 1) * dim)], k: k,
                                            accept: filter ? accept : nil)
                        let got = scanner.results(query: qi)
                        let context = "\(metric) nq \(nq) query \(qi) k \(k) filter \(filter)"
                        XCTAssertEqual(got, ref.map { ScoredID(id: $0.id, score: Float($0.score)) }, context)
                        XCTAssertFalse(got.contains { $0.id == 7 || $0.id == 40 }, context)
                        if filter { XCTAssertTrue(got.allSatisfy { accept($0.id) }, context) }
                    }
                }
            }
        }
    }

    /// Random float data for all three metrics: scores within rounding of the reference, and each
    /// returned id's true score agrees with the score returned for it.
    func testMatchesReferenceOnRandomDataForAllMetrics() {
        var rng = TestRandom(seed: 31)
        let dim = 33, rows = 300
        var data = rng.floats(rows * dim)
        data[123 * dim] = .nan
        for metric in Metric.allCases {
            var stored = data
            if metric == .cosine {
                for r in 0..<rows where !stored[r * dim].isNaN {
                    stored.withUnsafeMutableBufferPointer { _ = Distance.normalize($0.baseAddress! + r * dim, count: dim) }
                }
            }
            for nq in [1, 3] {
                let queries = rng.floats(nq * dim).map { $0 * 3 }
                let accept: (UInt32) -> Bool = { $0 & 1 == 0 }
                for (k, filter) in [(1, false), (20, false), (20, true), (400, false)] {
                    var scanner = ExactScanner(metric: metric, dimension: dim, k: k, maxQueries: 3, chunkRows: 64)
                    queries.withUnsafeBufferPointer { scanner.setQueries($0, count: nq) }
                    scan(&scanner, data: stored, dim: dim, blocks: [100, 77, 123], withNorms: metric == .l2 && k == 20,
                         accept: filter ? accept : nil)
                    let expectedRows = filter ? 150 : 299
                    for qi in 0..<nq {
                        let query = queries[(qi * dim)..<((qi + 1) * dim)]
                        let context = "\(metric) nq \(nq) query \(qi) k \(k) filter \(filter)"
                        let ref = reference(metric: metric, data: stored, dim: dim, query: query, k: k,
                                            accept: filter ? accept : nil)
                        let all = reference(metric: metric, data: stored, dim: dim, query: query, k: rows,
                                            accept: nil)
                        let trueScore = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0.score) })
                        let got = scanner.results(query: qi)
                        XCTAssertEqual(got.count, min(k, expectedRows), context)
                        XCTAssertEqual(Set(got.map(\.id)).count, got.count, "duplicate ids: \(context)")
                        for (i, r) in got.enumerated() where i < ref.count {
                            XCTAssertEqual(Double(r.score), ref[i].score, accuracy: 1e-4, "rank \(i): \(context)")
                            XCTAssertEqual(Double(r.score), trueScore[r.id] ?? .nan, accuracy: 1e-4, "id \(r.id): \(context)")
                            if filter { XCTAssertTrue(accept(r.id), context) }
                        }
                        XCTAssertFalse(got.contains { $0.id == 123 }, context)
                        if metric == .l2 { XCTAssertTrue(got.allSatisfy { $0.score <= 0 }, context) }
                    }
                }
            }
        }
    }

    func testSetQueriesResetsResultsAndCanChangeK() {
        let dim = 2
        let data: [Float] = [1, 0, 0, 1, -1, 0, 0, -1]
        var scanner = ExactScanner(metric: .innerProduct, dimension: dim, k: 2, maxQueries: 2)
        let q1: [Float] = [1, 0]
        q1.withUnsafeBufferPointer { scanner.setQueries($0, count: 1) }
        scan(&scanner, data: data, dim: dim, blocks: [4], withNorms: false, accept: nil)
        XCTAssertEqual(scanner.results(query: 0).map(\.id), [0, 1])
        let q2: [Float] = [0, -1, -1, 0]
        q2.withUnsafeBufferPointer { scanner.setQueries($0, count: 2, k: 3) }
        XCTAssertEqual(scanner.queryCount, 2)
        XCTAssertEqual(scanner.results(query: 0), [])
        scan(&scanner, data: data, dim: dim, blocks: [1, 3], withNorms: false, accept: nil)
        XCTAssertEqual(scanner.results(query: 0).map(\.id), [3, 0, 2])
        XCTAssertEqual(scanner.results(query: 1).map(\.id), [2, 1, 3])
        var out: [ScoredID] = []
        scanner.results(query: 1, into: &out)
        XCTAssertEqual(out, [ScoredID(id: 2, score: 1), ScoredID(id: 1, score: 0), ScoredID(id: 3, score: 0)])
    }

    func testCosineZeroQueryScoresZeroAndOrdersByID() {
        var scanner = ExactScanner(metric: .cosine, dimension: 3, k: 3, maxQueries: 1)
        let q: [Float] = [0, 0, 0]
        q.withUnsafeBufferPointer { scanner.setQueries($0, count: 1) }
        let data: [Float] = [1, 0, 0, 0, 1, 0, .nan, 0, 0, 0, 0, 1, 0.6, 0.8, 0]
        scan(&scanner, data: data, dim: 3, blocks: [5], withNorms: false, accept: nil)
        XCTAssertEqual(scanner.results(query: 0), [0, 1, 3].map { ScoredID(id: $0, score: 0) })
    }

    func testDefaultChunkKeepsScoreMatrixBounded() {
        let small = ExactScanner(metric: .l2, dimension: 4, k: 1, maxQueries: 1)
        XCTAssertEqual(small.chunkRows, 16_384)
        let large = ExactScanner(metric: .l2, dimension: 4, k: 1, maxQueries: 1024)
        XCTAssertEqual(large.chunkRows, 1024)
        XCTAssertLessThanOrEqual(large.chunkRows * large.maxQueries * MemoryLayout<Float>.size, 4 << 20)
    }
}
