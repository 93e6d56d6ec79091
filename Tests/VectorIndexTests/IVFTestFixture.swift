import Foundation
import Store
import TestSupport
import VectorIndex
import VectorMath
import XCTest

/// A temporary store filled with generated clustered vectors, and the helpers IVF tests share.
final class IVFTestFixture {
    let path: String
    let dimension: Int
    let data: [Float]
    let queries: [Float]
    let store: EmbeddingStore

    init(count: Int = 20_000, dimension: Int = 32, queryCount: Int = 100, metric: Metric, seed: UInt64 = 7) throws {
        path = NSTemporaryDirectory() + "ivf-" + UUID().uuidString
        self.dimension = dimension
        let generator = try ClusteredEmbeddings(spec: ClusteredSpec(count: count, dimension: dimension, seed: seed))
        data = generator.generate()
        queries = generator.queries(count: queryCount, seed: seed &+ 99)
        store = try EmbeddingStore(path: path, create: true)
        try store.write { w in
            try w.initialize(dimension: dimension, metric: metric)
            try data.withUnsafeBufferPointer { _ = try w.upsertVectors(.item, ids: (0..<count).map { .number(UInt64($0)) }, vectors: $0) }
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    var queryCount: Int { queries.count / dimension }

    func query(_ i: Int) -> [Float] { Array(queries[i * dimension ..< (i + 1) * dimension]) }

    @discardableResult
    func build(lists: Int, encoding: IVFEncoding = .float32, retrain: Bool = false, seed: UInt64 = 1) throws -> IVFBuildReport {
        var parameters = IVFBuildParameters(lists: lists, encoding: encoding, seed: seed)
        parameters.retrain = retrain
        return try IVFBuilder.build(store, parameters: parameters)
    }

    func openIndex() throws -> IVFSearchIndex {
        guard let index = try IVFSearchIndex.open(store) else { throw IndexError.notBuilt(.ivf) }
        return index
    }

    /// Exact top `k` of every query (ids), optionally among rows that `accept` lets through.
    func exact(k: Int, accept: ((UInt32) -> Bool)? = nil) throws -> [[UInt32]] {
        var flat = FlatIndex(meta: try store.meta()!)
        return try store.read { r in
            try queries.withUnsafeBufferPointer { try flat.search(r, queries: $0, k: k, accept: accept) }
        }.map { $0.map(\.id) }
    }

    /// Answers of `retriever` for every query, one query at a time.
    func single(_ retriever: any Retriever, k: Int, nprobe: Int, filter: SearchFilter? = nil) throws -> [[ScoredID]] {
        try store.read { r in
            try (0..<queryCount).map { try retriever.search(r, query: query($0), parameters: SearchParameters(k: k, nprobe: nprobe), filter: filter) }
        }
    }

    func batched(_ retriever: any Retriever, k: Int, nprobe: Int, filter: SearchFilter? = nil) throws -> [[ScoredID]] {
        try store.read { r in
            try queries.withUnsafeBufferPointer {
                try retriever.searchBatch(r, queries: $0, parameters: SearchParameters(k: k, nprobe: nprobe), filter: filter)
            }
        }
    }

    static func recall(_ found: [[ScoredID]], _ truth: [[UInt32]]) -> Double {
        GroundTruth.recall(at: 10, found: found.map { $0.map(\.id) }, truth: truth)
    }
}
