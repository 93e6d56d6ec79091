import Store
import VectorMath

/// A loaded index, shared by all workers (immutable while it serves; a new build or a reload
/// gives a new instance). Each worker asks it for a `Retriever` that owns the worker's scratch.
public protocol SearchIndex: AnyObject, Sendable {
    var kind: IndexKind { get }
    var metric: Metric { get }
    var dimension: Int { get }
    /// One line for logs and `annctl info` (kind, parameters, size).
    var summary: String { get }
    /// Scratch for one worker thread: not thread-safe, reused across queries.
    func makeRetriever() -> any Retriever

    /// Brings the index up to date with item vectors that a write transaction set (`upserted`)
    /// or removed (`deleted`), in that same transaction. Exact search needs nothing.
    func applyWrites(upserted: [UInt32], deleted: [UInt32], in writer: StoreWriter) throws
}

extension SearchIndex {
    public func applyWrites(upserted: [UInt32], deleted: [UInt32], in writer: StoreWriter) throws {}
}

/// Per-worker search over one `SearchIndex`. Results are item rows with scores by the metric's
/// convention (higher is better), best first, ties by smaller row. Vectors are read through
/// `reader`, a snapshot of the store the index belongs to.
public protocol Retriever: AnyObject {
    func search(_ reader: StoreReader, query: UnsafeBufferPointer<Float>, parameters: SearchParameters,
                filter: SearchFilter?) throws -> [ScoredID]

    /// Many queries at once (row-major `queries`). Indexes with a batched path (flat, IVF)
    /// override it; the default answers one query at a time.
    func searchBatch(_ reader: StoreReader, queries: UnsafeBufferPointer<Float>, parameters: SearchParameters,
                     filter: SearchFilter?) throws -> [[ScoredID]]
}

extension Retriever {
    public func searchBatch(_ reader: StoreReader, queries: UnsafeBufferPointer<Float>, parameters: SearchParameters,
                            filter: SearchFilter?) throws -> [[ScoredID]] {
        let dimension = try reader.meta().dimension
        guard queries.count % dimension == 0 else {
            throw IndexError.queryCountMismatch(floats: queries.count, dimension: dimension)
        }
        return try (0 ..< queries.count / dimension).map { q in
            try search(reader, query: UnsafeBufferPointer(rebasing: queries[q * dimension ..< (q + 1) * dimension]),
                       parameters: parameters, filter: filter)
        }
    }

    /// Convenience for one query held in an array.
    public func search(_ reader: StoreReader, query: [Float], parameters: SearchParameters,
                       filter: SearchFilter? = nil) throws -> [ScoredID] {
        try query.withUnsafeBufferPointer { try search(reader, query: $0, parameters: parameters, filter: filter) }
    }
}
