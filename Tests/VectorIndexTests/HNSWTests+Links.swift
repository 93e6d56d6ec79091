import Foundation
import Synchronization
import Store
import TestSupport
import VectorIndex
import VectorMath
import XCTest

/// Inner-product graphs linked by the norm-augmenting reduction (`HNSWLinks.augmented`).
extension HNSWTests {
    /// Recommender-like embeddings (norms spread by popularity): linked by inner product, many
    /// small-norm rows get no in-links. Linked by the augmented vectors (the default), fewer are
    /// left behind and a wide search finds more of the exact top-k, at no cost to top-10
    /// recall; with R the largest norm (quantile 1) almost every row is reached.
    func testAugmentedLinksLeaveFewerRowsBehindThanInnerProductLinks() throws {
        XCTAssertEqual(HNSWParameters().links, .augmented, "the default for inner product")
        let catalog = try DemoCatalog(spec: DemoCatalogSpec(items: 3_000, users: 40, dimension: 32, seed: 5))
        let d = Dataset(data: catalog.itemVectors, queries: catalog.userVectors, dimension: 32)
        let store = try makeStore(d, metric: .innerProduct)
        func built(_ links: HNSWLinks, quantile: Double = 0.75) throws -> HNSWSearchIndex {
            var p = fastParameters()
            p.links = links
            p.augmentQuantile = quantile
            return try store.read { try HNSWSearchIndex.build($0, parameters: p, threads: 1) }
        }
        let metric = try built(.metric), augmented = try built(.augmented), widest = try built(.augmented, quantile: 1)
        XCTAssertTrue(augmented.summary.contains("augmented (R "), augmented.summary)
        let (lost, lostAugmented, lostWidest) = (metric.unreachableRowCount, augmented.unreachableRowCount, widest.unreachableRowCount)
        let wide = (try recall(store, metric, d, k: 600, ef: 3_000), try recall(store, augmented, d, k: 600, ef: 3_000))
        let top10 = (try recall(store, metric, d, k: 10, ef: 64), try recall(store, augmented, d, k: 10, ef: 64))
        print("unreachable: metric \(lost), augmented \(lostAugmented), quantile 1 \(lostWidest); recall@600 \(wide); recall@10 \(top10)")
        XCTAssertLessThan(lostAugmented * 3, lost * 2, "at least a third fewer rows left behind")
        XCTAssertLessThan(lostWidest, 30, "under 1% of the rows")
        XCTAssertGreaterThan(wide.1, wide.0 + 0.02)
        XCTAssertGreaterThanOrEqual(top10.1, 0.95)
        XCTAssertGreaterThan(try recall(store, widest, d, k: 600, ef: 3_000), 0.99)
    }

    /// The radius R is saved with the graph: a reopened index answers as the built one, and a
    /// row inserted online with a norm above R (term 0) neither moves R nor goes unfound.
    func testAugmentedLinksReopenWithTheirRadiusAndTakeInserts() throws {
        let all = try clustered(count: 3_000, queries: 40)
        let first = Dataset(data: Array(all.data[0 ..< 2_500 * all.dimension]), queries: all.queries, dimension: all.dimension)
        let store = try makeStore(first, metric: .innerProduct)
        var p = fastParameters()
        p.links = .augmented
        let built = try store.read { try HNSWSearchIndex.build($0, parameters: p, threads: 1) }
        try store.write { try built.save($0) }
        let loaded = try IndexCatalog.open(store, kind: .hnsw)
        XCTAssertEqual(loaded.summary, built.summary, "same radius, same link kind")
        try store.read { r in
            let a = built.makeRetriever(), b = loaded.makeRetriever()
            for q in 0..<40 {
                let query = Array(all.queries[q * all.dimension ..< (q + 1) * all.dimension])
                XCTAssertEqual(try a.search(r, query: query, parameters: SearchParameters(k: 10)),
                               try b.search(r, query: query, parameters: SearchParameters(k: 10)))
            }
        }
        // 500 more rows online; the last 20 scaled by 4, past R.
        var extra = Array(all.data[2_500 * all.dimension ..< 3_000 * all.dimension])
        for i in (480 * all.dimension)..<extra.count { extra[i] *= 4 }
        try store.write { w in
            let rows = try extra.withUnsafeBufferPointer {
                try w.upsertVectors(.item, ids: (2_500 ..< 3_000).map { .number(UInt64($0)) }, vectors: $0)
            }
            guard let hnsw = loaded as? HNSWSearchIndex else { return XCTFail("not an HNSW index") }
            try hnsw.apply(upserted: rows, deleted: [], in: w)
        }
        let reopened = try IndexCatalog.open(store, kind: .hnsw)
        XCTAssertEqual(reopened.summary.components(separatedBy: "(R ").last?.prefix(while: { $0 != ")" }),
                       built.summary.components(separatedBy: "(R ").last?.prefix(while: { $0 != ")" }), "R is the build's")
        let probes = Dataset(data: all.data, queries: stride(from: 0, to: 500, by: 5).flatMap {
            extra[$0 * all.dimension ..< ($0 + 1) * all.dimension]
        }, dimension: all.dimension)
        XCTAssertGreaterThanOrEqual(try recall(store, reopened, probes, ef: 64), 0.95, "inserted rows are reached")
    }
}

/// Reading an index's description while online writes grow it (a server's `stats` and
/// `health` ops do this): the summary and memory figure are taken under the read lock, so they
/// never see a half-grown head, codes or link terms, and they follow the writes.
extension HNSWTests {
    func testSummaryDuringOnlineWritesFollowsThem() throws {
        let all = try clustered(count: 2_400, queries: 1)
        let first = Dataset(data: Array(all.data[0 ..< 2_000 * all.dimension]), queries: all.queries, dimension: all.dimension)
        let store = try makeStore(first, metric: .innerProduct)
        var p = fastParameters()
        p.int8 = true
        let index = try build(store, p)
        try store.write { try index.save($0) }
        let loaded = try XCTUnwrap(try IndexCatalog.open(store, kind: .hnsw) as? HNSWSearchIndex)
        let done = Atomic<Bool>(false)
        let seen = Mutex<[Int]>([])
        let reader = Thread {
            while !done.load(ordering: .acquiring) {
                let summary = loaded.summary
                let rows = Int(summary.components(separatedBy: " rows,").first?.components(separatedBy: ", ").last ?? "") ?? -1
                _ = loaded.memoryBytes
                seen.withLock { $0.append(rows) }
            }
        }
        reader.start()
        for i in 2_000 ..< 2_400 {
            try store.write { w in
                let rows = try all.data[i * all.dimension ..< (i + 1) * all.dimension].withUnsafeBufferPointer {
                    try w.upsertVectors(.item, ids: [.number(UInt64(i))], vectors: $0)
                }
                try loaded.apply(upserted: rows, deleted: [], in: w)
            }
        }
        done.store(true, ordering: .releasing)
        while !reader.isFinished { usleep(1_000) }
        let counts = seen.withLock { $0 }
        XCTAssertGreaterThan(counts.count, 1)
        XCTAssertFalse(counts.contains(-1), "a summary without its row count")
        XCTAssertEqual(counts, counts.sorted(), "row counts never go back")
        XCTAssertTrue(loaded.summary.contains("2400 rows"), loaded.summary)
    }
}
