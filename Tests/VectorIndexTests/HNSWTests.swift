import Foundation
import Store
import TestSupport
import VectorIndex
import VectorMath
import XCTest

final class HNSWTests: XCTestCase {
    var path = ""

    override func setUp() { path = NSTemporaryDirectory() + "hnsw-" + UUID().uuidString }
    override func tearDown() { try? FileManager.default.removeItem(atPath: path) }

    struct Dataset {
        let data: [Float]
        let queries: [Float]
        let dimension: Int
        var count: Int { data.count / dimension }
    }

    func clustered(count: Int, dimension: Int = 32, queries: Int = 200, seed: UInt64 = 7) throws -> Dataset {
        let generator = try ClusteredEmbeddings(spec: ClusteredSpec(count: count, dimension: dimension, seed: seed))
        return Dataset(data: generator.generate(), queries: generator.queries(count: queries, seed: seed + 1), dimension: dimension)
    }

    func makeStore(_ d: Dataset, metric: Metric) throws -> EmbeddingStore {
        let store = try EmbeddingStore(path: path, create: true)
        try store.write { w in
            try w.initialize(dimension: d.dimension, metric: metric)
            try d.data.withUnsafeBufferPointer { _ = try w.upsertVectors(.item, ids: (0..<d.count).map { .number(UInt64($0)) }, vectors: $0) }
        }
        return store
    }

    /// recall@k of `index` against exact search over the store, with an optional filter.
    func recall(_ store: EmbeddingStore, _ index: any SearchIndex, _ d: Dataset, k: Int = 10, ef: Int? = nil,
                filter: SearchFilter? = nil) throws -> Double {
        let approximate = index.makeRetriever()
        let exact = FlatSearchIndex(meta: try store.meta()!).makeRetriever()
        var hits = 0, total = 0
        try store.read { r in
            for q in 0 ..< d.queries.count / d.dimension {
                let query = Array(d.queries[q * d.dimension ..< (q + 1) * d.dimension])
                let truth = try exact.search(r, query: query, parameters: SearchParameters(k: k), filter: filter).map(\.id)
                let found = try approximate.search(r, query: query, parameters: SearchParameters(k: k, ef: ef), filter: filter).map(\.id)
                XCTAssertEqual(Set(found).count, found.count, "no duplicates")
                if let filter { XCTAssertTrue(found.allSatisfy(filter.accepts), "the filter holds") }
                hits += Set(truth).intersection(found).count
                total += truth.count
            }
        }
        return Double(hits) / Double(max(total, 1))
    }

    func build(_ store: EmbeddingStore, _ parameters: HNSWParameters = HNSWParameters()) throws -> HNSWSearchIndex {
        try store.read { try HNSWSearchIndex.build($0, parameters: parameters, threads: 2) }
    }

    func testRecallAgainstExactSearchForEveryMetric() throws {
        let d = try clustered(count: 20_000)
        for metric in Metric.allCases {
            try? FileManager.default.removeItem(atPath: path)
            let store = try makeStore(d, metric: metric)
            let index = try build(store, fastParameters())
            let r = try recall(store, index, d, ef: 64)
            print("hnsw \(metric.rawValue) recall@10 ef 64: \(r)")
            XCTAssertGreaterThanOrEqual(r, 0.95, "\(metric)")
        }
    }

    func fastParameters() -> HNSWParameters {
        var p = HNSWParameters()
        p.efConstruction = 100
        return p
    }

    func testReopenGivesIdenticalResults() throws {
        let d = try clustered(count: 5_000, queries: 50)
        let store = try makeStore(d, metric: .innerProduct)
        let built = try build(store, fastParameters())
        try store.write { try built.save($0) }
        let loaded = try IndexCatalog.open(store)
        XCTAssertEqual(loaded.kind, .hnsw, "the built index is the default")
        let a = built.makeRetriever(), b = loaded.makeRetriever()
        try store.read { r in
            for q in 0..<50 {
                let query = Array(d.queries[q * d.dimension ..< (q + 1) * d.dimension])
                XCTAssertEqual(try a.search(r, query: query, parameters: SearchParameters(k: 10)),
                               try b.search(r, query: query, parameters: SearchParameters(k: 10)))
            }
        }
    }

    func testFilteredSearchStaysAccurateAtEverySelectivity() throws {
        let d = try clustered(count: 20_000, queries: 100)
        let store = try makeStore(d, metric: .innerProduct)
        let index = try build(store, fastParameters())
        for share in [0.5, 0.05, 0.005] {
            var rng = SeededRandom(seed: 99)
            let allowed = RowBitmap((0..<UInt32(d.count)).filter { _ in rng.nextDouble() < share })
            let r = try recall(store, index, d, ef: 64, filter: SearchFilter(allowed: allowed))
            print("filtered recall@10 at \(share): \(r)")
            XCTAssertGreaterThanOrEqual(r, 0.95, "filter passing \(share)")
        }
        let seen = SearchFilter.excluding((0..<UInt32(2000)).map { $0 * 7 })
        XCTAssertGreaterThanOrEqual(try recall(store, index, d, ef: 64, filter: seen), 0.95, "excluded rows")
    }

    /// A filter passing few rows is answered by an exact scan of them (in batches of the
    /// scratch's 512 rows): the flat index's answer, for every metric, with rows past the
    /// snapshot in the allow list ignored and a deleted row never returned.
    func testFilteredExactPathGivesTheFlatIndexAnswer() throws {
        let d = try clustered(count: 30_000, queries: 20)
        for metric in Metric.allCases {
            try? FileManager.default.removeItem(atPath: path)
            let store = try makeStore(d, metric: metric)
            let index = try build(store, fastParameters())
            var rng = SeededRandom(seed: 21)
            let rows = (0 ..< UInt32(d.count)).filter { _ in rng.nextDouble() < 0.04 }  // ~1,200: three batches
            XCTAssertLessThan(Double(rows.count), index.exactBelow * Double(d.count))
            try store.write { w in
                try w.removeVector(row: rows[3], .item)
                try index.applyWrites(upserted: [], deleted: [rows[3]], in: w)
            }
            let filter = SearchFilter(allowed: RowBitmap(rows + [UInt32(d.count + 7)]))
            let accepted = SearchFilter(allowed: RowBitmap(rows.filter { $0 != rows[3] }))
            let hnsw = index.makeRetriever(), flat = FlatSearchIndex(meta: try store.meta()!).makeRetriever()
            try store.read { r in
                for q in 0 ..< d.queries.count / d.dimension {
                    let query = Array(d.queries[q * d.dimension ..< (q + 1) * d.dimension])
                    let got = try hnsw.search(r, query: query, parameters: SearchParameters(k: 20), filter: filter)
                    let want = try flat.search(r, query: query, parameters: SearchParameters(k: 20), filter: accepted)
                    XCTAssertEqual(got.map(\.id), want.map(\.id), "\(metric) query \(q)")
                    for (a, b) in zip(got, want) { XCTAssertEqual(a.score, b.score, accuracy: 1e-3 * max(1, abs(b.score))) }
                    XCTAssertFalse(got.contains { $0.id == rows[3] })
                }
            }
        }
    }

    func testDeletingThirtyPercentKeepsRecallAndNeverReturnsDeletedItems() throws {
        let d = try clustered(count: 50_000, queries: 100)
        let store = try makeStore(d, metric: .l2)
        let index = try build(store, fastParameters())
        try store.write { try index.save($0) }
        var rng = SeededRandom(seed: 5)
        let doomed = (0..<UInt32(d.count)).filter { _ in rng.nextDouble() < 0.3 }
        try store.write { w in
            for r in doomed { try w.removeVector(row: r, .item) }
            try index.apply(upserted: [], deleted: doomed, in: w)
        }
        let reopened = try IndexCatalog.open(store, kind: .hnsw)
        let gone = Set(doomed)
        for candidate in [index as any SearchIndex, reopened] {
            let r = try recall(store, candidate, d, ef: 64)
            print("recall@10 after deleting 30%: \(r)")
            XCTAssertGreaterThanOrEqual(r, 0.95)
            try store.read { reader in
                let retriever = candidate.makeRetriever()
                for q in 0..<100 {
                    let query = Array(d.queries[q * d.dimension ..< (q + 1) * d.dimension])
                    let found = try retriever.search(reader, query: query, parameters: SearchParameters(k: 50))
                    XCTAssertTrue(found.allSatisfy { !gone.contains($0.id) })
                }
            }
        }
    }

    /// Deleting every item leaves a graph with no live node: searches answer (nothing) and the
    /// next insert starts the graph again (a walk from a deleted entry point looped forever).
    func testDeletingEverythingThenInserting() throws {
        let d = try clustered(count: 300, queries: 5)
        for int8 in [false, true] {
            try? FileManager.default.removeItem(atPath: path)
            let store = try makeStore(d, metric: .innerProduct)
            var p = fastParameters()
            p.int8 = int8
            let index = try build(store, p)
            try store.write { w in
                for r in 0..<UInt32(d.count) { try w.removeVector(row: r, .item) }
                try index.apply(upserted: [], deleted: Array(0..<UInt32(d.count)), in: w)
            }
            let query = Array(d.queries[0 ..< d.dimension])
            let retriever = index.makeRetriever()
            XCTAssertEqual(try store.read { try retriever.search($0, query: query, parameters: SearchParameters(k: 10)) }, [])
            try store.write { w in
                let rows = try query.withUnsafeBufferPointer { try w.upsertVectors(.item, ids: [.string("back")], vectors: $0) }
                try index.apply(upserted: rows, deleted: [], in: w)
            }
            let found = try store.read { try retriever.search($0, query: query, parameters: SearchParameters(k: 10)) }
            XCTAssertEqual(found.map(\.id), [UInt32(d.count)], "int8 \(int8)")
            let reopened = try IndexCatalog.open(store, kind: .hnsw).makeRetriever()
            XCTAssertEqual(try store.read { try reopened.search($0, query: query, parameters: SearchParameters(k: 10)) }.map(\.id), [UInt32(d.count)])
        }
    }

    func testInsertsAreFoundAndConcurrentSearchesSeeOnlyLiveItems() throws {
        let all = try clustered(count: 6_000, queries: 50)
        let first = Dataset(data: Array(all.data[0 ..< 4_000 * all.dimension]), queries: all.queries, dimension: all.dimension)
        let store = try makeStore(first, metric: .innerProduct)
        let index = try build(store, fastParameters())
        try store.write { try index.save($0) }
        final class Failures: @unchecked Sendable { var list: [String] = []; let lock = NSLock() }
        let failures = Failures()
        let stop = DispatchSemaphore(value: 0)
        let searcher = Thread {
            let retriever = index.makeRetriever()
            var rounds = 0
            while stop.wait(timeout: .now()) == .timedOut && rounds < 100_000 {
                rounds += 1
                do {
                    try store.read { r in
                        let live = try r.counts().items
                        let q = Array(all.queries[(rounds % 50) * all.dimension ..< (rounds % 50 + 1) * all.dimension])
                        for hit in try retriever.search(r, query: q, parameters: SearchParameters(k: 10)) where Int(hit.id) >= live {
                            failures.lock.lock(); failures.list.append("row \(hit.id) beyond snapshot \(live)"); failures.lock.unlock()
                        }
                    }
                } catch {
                    failures.lock.lock(); failures.list.append("\(error)"); failures.lock.unlock()
                }
            }
        }
        searcher.start()
        for batch in 0..<4 {
            let lower = 4_000 + batch * 500
            try store.write { w in
                let rows = try all.data[lower * all.dimension ..< (lower + 500) * all.dimension].withUnsafeBufferPointer {
                    try w.upsertVectors(.item, ids: (lower ..< lower + 500).map { .number(UInt64($0)) }, vectors: $0)
                }
                try index.apply(upserted: rows, deleted: [], in: w)
            }
        }
        stop.signal()
        while searcher.isExecuting { usleep(1000) }
        XCTAssertEqual(failures.list, [])
        let reopened = try IndexCatalog.open(store, kind: .hnsw)
        XCTAssertGreaterThanOrEqual(try recall(store, reopened, all, ef: 64), 0.95, "inserted items are found")
        XCTAssertGreaterThanOrEqual(try recall(store, index, all, ef: 64), 0.95, "in memory, after online inserts")
    }
}
