import Store
import VectorMath

/// Exact search as a `SearchIndex`: nothing to build or load; every query scans all stored
/// vectors by BLAS products. The answer when no index is built, and the ground truth.
public final class FlatSearchIndex: SearchIndex {
    public let meta: StoreMeta
    public var kind: IndexKind { .flat }
    public var metric: Metric { meta.metric }
    public var dimension: Int { meta.dimension }
    public var summary: String { "flat (exact, \(meta.metric.rawValue), \(meta.dimension)-d)" }

    public init(meta: StoreMeta) { self.meta = meta }

    public func makeRetriever() -> any Retriever { FlatRetriever(meta: meta) }
}

/// One worker's exact search: an `ExactScanner` sized for a group of queries.
public final class FlatRetriever: Retriever {
    private var index: FlatIndex

    public init(meta: StoreMeta) { index = FlatIndex(meta: meta) }

    public func search(_ reader: StoreReader, query: UnsafeBufferPointer<Float>, parameters: SearchParameters,
                       filter: SearchFilter?) throws -> [ScoredID] {
        guard query.count == index.dimension else {
            throw IndexError.dimensionMismatch(expected: index.dimension, got: query.count)
        }
        return try searchBatch(reader, queries: query, parameters: parameters, filter: filter)[0]
    }

    public func searchBatch(_ reader: StoreReader, queries: UnsafeBufferPointer<Float>, parameters: SearchParameters,
                            filter: SearchFilter?) throws -> [[ScoredID]] {
        let accept: ((UInt32) -> Bool)? = filter.flatMap { f in f.isEmpty ? nil : { f.accepts($0) } }
        return try index.search(reader, queries: queries, k: parameters.k, accept: accept)
    }
}

/// Opens the index a store serves with.
public enum IndexCatalog {
    /// Kinds built in `store`, best first (exact search is always there).
    public static func builtKinds(_ store: EmbeddingStore) throws -> [IndexKind] {
        var kinds: [IndexKind] = []
        if HNSWStorage.exists(store) { kinds.append(.hnsw) }
        if try IVFSearchIndex.isBuilt(store) { kinds.append(.ivf) }
        kinds.append(.flat)
        return kinds
    }

    /// The index of `kind`, or the best one built when `kind` is nil.
    public static func open(_ store: EmbeddingStore, kind: IndexKind? = nil) throws -> any SearchIndex {
        guard let meta = try store.meta() else { throw IndexError.store(.notInitialized(path: store.path)) }
        let built = try builtKinds(store)
        let chosen = kind ?? built[0]
        guard built.contains(chosen) else { throw IndexError.notBuilt(chosen) }
        switch chosen {
        case .flat: return FlatSearchIndex(meta: meta)
        case .hnsw: return try HNSWStorage.load(store)
        case .ivf:
            guard let index = try IVFSearchIndex.open(store) else { throw IndexError.notBuilt(.ivf) }
            return index
        }
    }
}
