import Foundation
import Store
import TestSupport
import VectorIndex
import VectorMath
import XCTest

/// Every row of a built graph can be reached: a walk with `ef` at least the row count is exhaustive.
extension HNSWTests {
    /// Recommender-like embeddings (norms spread by popularity) linked by inner product leave
    /// small-norm rows without in-links unless the build links them back (`linkUnreachable`);
    /// then they could never be returned, whatever `ef`.
    func testEveryRowIsReachableSoAnExhaustiveWalkIsExact() throws {
        let catalog = try DemoCatalog(spec: DemoCatalogSpec(items: 3_000, users: 40, dimension: 32, seed: 5))
        let d = Dataset(data: catalog.itemVectors, queries: catalog.userVectors, dimension: 32)
        for links in [HNSWLinks.metric, .augmented] {
            for int8 in [false, true] {
                try? FileManager.default.removeItem(atPath: path)
                let store = try makeStore(d, metric: .innerProduct)
                var p = fastParameters()
                p.links = links
                p.int8 = int8
                p.linkUnreachable = true
                let index = try build(store, p)
                XCTAssertEqual(index.unreachableRowCount, 0, "\(links) int8 \(int8)")
                XCTAssertEqual(try recall(store, index, d, k: 600, ef: 3_000), 1, "\(links) int8 \(int8)")
                XCTAssertGreaterThanOrEqual(try recall(store, index, d, k: 10, ef: 64), 0.95, "\(links) int8 \(int8)")
            }
        }
        // Without the linking pass the same graph leaves rows unreachable: an exhaustive walk misses them.
        try? FileManager.default.removeItem(atPath: path)
        let store = try makeStore(d, metric: .innerProduct)
        var metricLinks = fastParameters()
        metricLinks.links = .metric
        let plain = try build(store, metricLinks)
        XCTAssertGreaterThan(plain.unreachableRowCount, 100, "the default build leaves rows behind (and says so)")
        XCTAssertLessThan(try recall(store, plain, d, k: 600, ef: 3_000), 0.9)
    }

    /// The linking pass's links are repair links: a narrow search (small k and ef) skips them and
    /// answers exactly as the graph without them does, a wide one (k >= 100) follows them and
    /// reaches every row; both survive a save and reopen (layout 2).
    func testRepairLinksServeWideSearchesOnly() throws {
        let catalog = try DemoCatalog(spec: DemoCatalogSpec(items: 3_000, users: 40, dimension: 32, seed: 5))
        let d = Dataset(data: catalog.itemVectors, queries: catalog.userVectors, dimension: 32)
        let store = try makeStore(d, metric: .innerProduct)
        var p = fastParameters()
        let plain = try store.read { try HNSWSearchIndex.build($0, parameters: p, threads: 1) }
        p.linkUnreachable = true
        let linked = try store.read { try HNSWSearchIndex.build($0, parameters: p, threads: 1) }
        try store.write { try linked.save($0) }
        let reopened = try IndexCatalog.open(store, kind: .hnsw)
        XCTAssertGreaterThan(plain.unreachableRowCount, 100)
        XCTAssertEqual(linked.unreachableRowCount, 0)
        let narrow = SearchParameters(k: 10, ef: 64)
        try store.read { r in
            let a = plain.makeRetriever(), b = linked.makeRetriever(), c = reopened.makeRetriever()
            for q in 0 ..< d.queries.count / d.dimension {
                let query = Array(d.queries[q * d.dimension ..< (q + 1) * d.dimension])
                let expected = try a.search(r, query: query, parameters: narrow, filter: nil)
                XCTAssertEqual(try b.search(r, query: query, parameters: narrow, filter: nil), expected, "query \(q)")
                XCTAssertEqual(try c.search(r, query: query, parameters: narrow, filter: nil), expected, "query \(q), reopened")
            }
        }
        XCTAssertEqual(try recall(store, reopened, d, k: 600, ef: 3_000), 1, "wide searches follow the repair links")
        XCTAssertLessThan(try recall(store, plain, d, k: 600, ef: 3_000), 0.9)
        XCTAssertGreaterThan(try recall(store, reopened, d, k: 100, ef: 100), try recall(store, plain, d, k: 100, ef: 100),
                             "k 100 counts as wide")
    }
}

/// Wide links (`HNSWParameters.wideLinks`): more of a wide search's exact top-k, and no change
/// at all to narrow searches, which do not follow them.
extension HNSWTests {
    func testWideLinksRaiseWideRecallAndLeaveNarrowSearchesAlone() throws {
        let d = try clustered(count: 20_000, queries: 100)
        let store = try makeStore(d, metric: .innerProduct)
        var p = fastParameters()
        p.linkUnreachable = true
        p.wideLinks = 0
        let without = try store.read { try HNSWSearchIndex.build($0, parameters: p, threads: 1) }
        p.wideLinks = 8
        let with = try store.read { try HNSWSearchIndex.build($0, parameters: p, threads: 1) }
        try store.write { try with.save($0) }
        let reopened = try IndexCatalog.open(store, kind: .hnsw)
        let narrow = SearchParameters(k: 10, ef: 64)
        try store.read { r in
            let a = without.makeRetriever(), b = reopened.makeRetriever()
            for q in 0 ..< 100 {
                let query = Array(d.queries[q * d.dimension ..< (q + 1) * d.dimension])
                XCTAssertEqual(try b.search(r, query: query, parameters: narrow, filter: nil),
                               try a.search(r, query: query, parameters: narrow, filter: nil), "query \(q)")
            }
        }
        let (plain, wide) = (try recall(store, without, d, k: 300, ef: 300), try recall(store, reopened, d, k: 300, ef: 300))
        print("recall@300 at ef 300: without wide links \(plain), with \(wide)")
        XCTAssertGreaterThan(wide, plain + 0.02)
    }
}
