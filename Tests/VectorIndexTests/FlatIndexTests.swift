import Foundation
import Store
import VectorIndex
import VectorMath
import XCTest

final class FlatIndexTests: XCTestCase {
    var path = ""

    override func setUp() { path = NSTemporaryDirectory() + "flat-" + UUID().uuidString }
    override func tearDown() { try? FileManager.default.removeItem(atPath: path) }

    /// A small seeded generator so a failure reproduces.
    struct Rng {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2_000_001) / 1_000_000 - 1
        }
        mutating func vectors(_ n: Int, _ d: Int) -> [Float] { (0..<(n * d)).map { _ in next() } }
    }

    func makeStore(_ data: [Float], dimension: Int, metric: Metric) throws -> EmbeddingStore {
        let store = try EmbeddingStore(path: path, create: true)
        let n = data.count / dimension
        try store.write { w in
            try w.initialize(dimension: dimension, metric: metric)
            try data.withUnsafeBufferPointer { _ = try w.upsertVectors(.item, ids: (0..<n).map { .number(UInt64($0)) }, vectors: $0) }
        }
        return store
    }

    /// Naive reference in double precision: (score desc, row asc).
    func naive(_ data: [Float], _ q: [Float], d: Int, metric: Metric, k: Int, accept: (UInt32) -> Bool = { _ in true }) -> [UInt32] {
        var query = q.map(Double.init)
        if metric == .cosine {
            let norm = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
            query = query.map { $0 / norm }
        }
        var scored: [(Double, UInt32)] = []
        for row in 0..<(data.count / d) where accept(UInt32(row)) {
            var x = data[row * d ..< (row + 1) * d].map(Double.init)
            if metric == .cosine {
                let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
                x = x.map { $0 / norm }
            }
            let s: Double
            switch metric {
            case .innerProduct, .cosine: s = zip(query, x).reduce(0) { $0 + $1.0 * $1.1 }
            case .l2: s = -zip(query, x).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            }
            scored.append((s, UInt32(row)))
        }
        scored.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        return scored.prefix(k).map(\.1)
    }

    func testExactSearchEqualsNaiveReferenceForEveryMetric() throws {
        let d = 24, n = 3000, k = 10
        var rng = Rng(state: 42)
        let data = rng.vectors(n, d)
        let queries = rng.vectors(20, d)
        for metric in Metric.allCases {
            try? FileManager.default.removeItem(atPath: path)
            let store = try makeStore(data, dimension: d, metric: metric)
            var index = FlatIndex(meta: try store.meta()!)
            let batch = try store.read { r in try queries.withUnsafeBufferPointer { try index.search(r, queries: $0, k: k) } }
            for q in 0..<20 {
                let query = Array(queries[q * d ..< (q + 1) * d])
                let expected = naive(data, query, d: d, metric: metric, k: k)
                XCTAssertEqual(batch[q].map(\.id), expected, "\(metric) query \(q)")
                let single = try store.read { r in try index.search(r, query: query, k: k) }
                XCTAssertEqual(single.map(\.id), batch[q].map(\.id), "single and batched answers rank the same rows")
                for (a, b) in zip(single, batch[q]) { XCTAssertEqual(a.score, b.score, accuracy: 1e-4 * max(1, abs(a.score))) }
            }
        }
    }

    func testFilterAndKLargerThanStore() throws {
        let d = 8, n = 50
        var rng = Rng(state: 7)
        let data = rng.vectors(n, d)
        let store = try makeStore(data, dimension: d, metric: .innerProduct)
        var index = FlatIndex(meta: try store.meta()!)
        let q = rng.vectors(1, d)
        let odd: (UInt32) -> Bool = { $0 % 2 == 1 }
        let found = try store.read { try index.search($0, query: q, k: 100, accept: odd) }
        XCTAssertEqual(found.map(\.id), naive(data, q, d: d, metric: .innerProduct, k: 100, accept: odd))
        XCTAssertEqual(found.count, 25)
        XCTAssertThrowsError(try store.read { try index.search($0, query: q, k: 0) }) {
            XCTAssertEqual($0 as? IndexError, .invalidK(0))
        }
        XCTAssertThrowsError(try store.read { try index.search($0, query: [1, 2], k: 3) }) {
            XCTAssertEqual($0 as? IndexError, .dimensionMismatch(expected: 8, got: 2))
        }
    }

    func testUserTargetExcludesHistoryAndItemTargetExcludesItself() throws {
        let d = 4
        var rng = Rng(state: 9)
        let data = rng.vectors(30, d)
        let store = try makeStore(data, dimension: d, metric: .innerProduct)
        try store.write { w in
            try [Float](arrayLiteral: 1, 0, 0, 0).withUnsafeBufferPointer { _ = try w.upsertVectors(.user, ids: [.string("u")], vectors: $0) }
            try w.appendHistory(user: 0, entries: [HistoryEntry(item: 3), HistoryEntry(item: 5)])
        }
        var index = FlatIndex(meta: try store.meta()!)
        try store.read { r in
            let user = try QueryTarget.user(.string("u")).resolve(r)
            XCTAssertEqual(user.excluded, [3, 5])
            let found = try index.search(r, query: user.vector, k: 30) { !user.excluded.contains($0) }
            XCTAssertEqual(found.count, 28)
            XCTAssertFalse(found.contains { $0.id == 3 || $0.id == 5 })
            let item = try QueryTarget.item(.number(7)).resolve(r)
            XCTAssertEqual(item.vector, Array(data[28..<32]))
            XCTAssertEqual(item.excluded, [7])
            XCTAssertThrowsError(try QueryTarget.user(.string("nobody")).resolve(r)) {
                XCTAssertEqual($0 as? IndexError, .store(.unknownID(.user, .string("nobody"))))
            }
        }
    }
}
