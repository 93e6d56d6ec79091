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
            let index = try build(store)
            let r = try recall(store, index, d, ef: 64)
            print("hnsw \(metric.rawValue) recall@10 ef 64: \(r)")
            XCTAssertGreaterThanOrEqual(r, 0.95, "\(metric)")
        }
    }
}
