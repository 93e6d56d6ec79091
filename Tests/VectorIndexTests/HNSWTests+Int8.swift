import Foundation
import Store
import TestSupport
import VectorIndex
import VectorMath
import XCTest

/// int8 walks: the graph is walked on one-byte codes, the final candidates re-scored in float32.
extension HNSWTests {
    func int8Parameters() -> HNSWParameters {
        var p = fastParameters()
        p.int8 = true
        return p
    }

    func testInt8WalkRecallForEveryMetric() throws {
        let d = try clustered(count: 20_000)
        for metric in Metric.allCases {
            try? FileManager.default.removeItem(atPath: path)
            let store = try makeStore(d, metric: metric)
            let index = try build(store, int8Parameters())
            XCTAssertTrue(index.summary.contains("int8 walk"), index.summary)
            let r = try recall(store, index, d, ef: 64)
            print("hnsw int8 walk \(metric.rawValue) recall@10 ef 64: \(r)")
            XCTAssertGreaterThanOrEqual(r, 0.95, "\(metric)")
        }
    }

    /// Each code row carries its score offset right after its bytes: an odd dimension puts the
    /// offsets at unaligned addresses, and L2 (the metric whose offsets are not 0) must still
    /// walk well, before and after a save and reopen.
    func testInt8WalkWithAnOddDimension() throws {
        let d = try clustered(count: 5_000, dimension: 13, queries: 100)
        let store = try makeStore(d, metric: .l2)
        let built = try build(store, int8Parameters())
        try store.write { try built.save($0) }
        let loaded = try IndexCatalog.open(store, kind: .hnsw)
        for index in [built, loaded] as [any SearchIndex] {
            let r = try recall(store, index, d, ef: 64)
            XCTAssertGreaterThanOrEqual(r, 0.95, index.summary)
        }
    }

    /// The walk's scores are approximate, the answer's are not: every returned score is the
    /// exact float32 score of that row.
    func testInt8WalkReturnsExactScores() throws {
        let d = try clustered(count: 5_000, queries: 20)
        let store = try makeStore(d, metric: .l2)
        let index = try build(store, int8Parameters())
        let retriever = index.makeRetriever()
        try store.read { r in
            for q in 0..<20 {
                let query = Array(d.queries[q * d.dimension ..< (q + 1) * d.dimension])
                for hit in try retriever.search(r, query: query, parameters: SearchParameters(k: 10)) {
                    let row = Array(d.data[Int(hit.id) * d.dimension ..< (Int(hit.id) + 1) * d.dimension])
                    let exact = -zip(query, row).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
                    XCTAssertEqual(hit.score, exact, accuracy: 1e-3 * max(1, abs(exact)), "row \(hit.id)")
                }
            }
        }
    }

    func testInt8WalkReopensIdenticallyAndTakesInsertsAndDeletes() throws {
        let all = try clustered(count: 6_000, queries: 50)
        let first = Dataset(data: Array(all.data[0 ..< 5_000 * all.dimension]), queries: all.queries, dimension: all.dimension)
        let store = try makeStore(first, metric: .innerProduct)
        let built = try build(store, int8Parameters())
        try store.write { try built.save($0) }
        let loaded = try IndexCatalog.open(store, kind: .hnsw)
        XCTAssertTrue(loaded.summary.contains("int8 walk"), loaded.summary)
        let a = built.makeRetriever(), b = loaded.makeRetriever()
        try store.read { r in
            for q in 0..<50 {
                let query = Array(all.queries[q * all.dimension ..< (q + 1) * all.dimension])
                XCTAssertEqual(try a.search(r, query: query, parameters: SearchParameters(k: 10)),
                               try b.search(r, query: query, parameters: SearchParameters(k: 10)))
            }
        }
        // Online: 1,000 new rows, then 500 old ones deleted; reopened, queries by the new rows'
        // own vectors find what exact search finds, and deleted rows never come back.
        let doomed = (0..<UInt32(500)).map { $0 * 10 }
        try store.write { w in
            let rows = try all.data[5_000 * all.dimension ..< 6_000 * all.dimension].withUnsafeBufferPointer {
                try w.upsertVectors(.item, ids: (5_000 ..< 6_000).map { .number(UInt64($0)) }, vectors: $0)
            }
            try built.apply(upserted: rows, deleted: [], in: w)
        }
        try store.write { w in
            for r in doomed { try w.removeVector(row: r, .item) }
            try built.apply(upserted: [], deleted: doomed, in: w)
        }
        let reopened = try IndexCatalog.open(store, kind: .hnsw)
        let newRows = Dataset(data: all.data, queries: stride(from: 5_000, to: 6_000, by: 10).flatMap {
            all.data[$0 * all.dimension ..< ($0 + 1) * all.dimension]
        }, dimension: all.dimension)
        XCTAssertGreaterThanOrEqual(try recall(store, reopened, newRows, ef: 64), 0.95, "inserted rows are reached")
        let gone = Set(doomed)
        try store.read { r in
            let retriever = reopened.makeRetriever()
            for q in 0..<50 {
                let query = Array(all.queries[q * all.dimension ..< (q + 1) * all.dimension])
                let found = try retriever.search(r, query: query, parameters: SearchParameters(k: 100, ef: 128))
                XCTAssertTrue(found.allSatisfy { !gone.contains($0.id) }, "a deleted row came back")
            }
        }
    }
}

/// The exact head of inner-product indexes under online writes.
extension HNSWTests {
    /// New rows with the largest norms join the head (copies of head rows: inside the codes'
    /// ranges, an incremental update; scaled up 3x: outside them, a new selection); either way
    /// queries aimed at them get exactly what exact search gets.
    func testLargeNormInsertsAreAnsweredExactly() throws {
        let d = try clustered(count: 5_000, queries: 50)
        let store = try makeStore(d, metric: .innerProduct)
        let index = try build(store, fastParameters())
        try store.write { try index.save($0) }
        // The 20 largest-norm rows, copied as they are and scaled by 3.
        let norms = (0..<d.count).map { r in (0..<d.dimension).reduce(Float(0)) { $0 + d.data[r * d.dimension + $1] * d.data[r * d.dimension + $1] } }
        let largest = (0..<d.count).sorted { norms[$0] > norms[$1] }.prefix(20)
        for scale: Float in [1, 3] {
            let rows = largest.flatMap { r in d.data[r * d.dimension ..< (r + 1) * d.dimension].map { $0 * scale } }
            let first = try store.read { try $0.counts().items }
            try store.write { w in
                let added = try rows.withUnsafeBufferPointer {
                    try w.upsertVectors(.item, ids: (first ..< first + 20).map { .number(UInt64($0)) }, vectors: $0)
                }
                try index.apply(upserted: added, deleted: [], in: w)
            }
            let probes = Dataset(data: d.data, queries: rows, dimension: d.dimension)
            XCTAssertEqual(try recall(store, index, probes, ef: 32), 1.0, accuracy: 0.01, "scale \(scale)")
        }
    }
}
