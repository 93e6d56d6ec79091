import Foundation
import Store
import VectorMath

#if canImport(Glibc)
import Glibc
#endif

/// HNSW over the store's item vectors: the serving default.
///
/// Inner product: the graph is linked by the MIPS-to-L2 reduction by default
/// (`HNSWParameters.links`), searched by inner product, and the `headFraction` of items
/// with the largest norms, which win most inner-product queries, are scored exactly for every
/// query (one BLAS product over a contiguous copy) and merged with the graph's answer.
/// Filters that pass few items are answered by exact search over the passing rows.
/// Searches take a shared lock only against online inserts and deletes (never against each
/// other).
public final class HNSWSearchIndex: SearchIndex, @unchecked Sendable {
    public let parameters: HNSWParameters
    public let metric: Metric
    public let dimension: Int
    public var kind: IndexKind { .hnsw }
    let graph: HNSWGraph
    let linkMode: LinkMode
    /// Per-row values of angle or augmented links (online inserts need them).
    var linkTerms: LinkTerms
    /// The largest-norm rows, scored exactly for every query (inner product only).
    let head: HNSWHead
    /// int8 codes of every row when `parameters.int8` (walks score on them).
    var codes: HNSWCodes?
    /// Below this share of passing rows a filtered query is answered exactly.
    public var exactBelow: Double = 0.05
    private var lock = pthread_rwlock_t()
    /// Rows changed by online inserts and deletes since the last save.
    var dirty = RowBitmap()

    init(graph: HNSWGraph, parameters: HNSWParameters, meta: StoreMeta, linkTerms: LinkTerms) {
        self.graph = graph
        self.parameters = parameters
        self.metric = meta.metric
        self.dimension = meta.dimension
        self.linkMode = LinkMode(metric: meta.metric, parameters: parameters)
        self.linkTerms = linkTerms
        self.head = HNSWHead(dimension: meta.dimension)
        pthread_rwlock_init(&lock, nil)
    }

    deinit { pthread_rwlock_destroy(&lock) }

    /// Under the read lock, as `memoryBytes`.
    public var summary: String {
        withReadLock {
            let head = metric == .innerProduct ? ", exact head \(head.count) rows" : ""
            return "hnsw (M \(parameters.m), efConstruction \(parameters.efConstruction), ef \(parameters.efSearch), \(graph.count) rows, "
                + "\(metric.rawValue), \(linkDescription) links\(parameters.linkUnreachable ? " + repair links for \(HNSWParameters.repairRule)" : "")"
                + "\(head)\(codes == nil ? "" : ", int8 walk"), \(Format.megabytes(unlockedMemoryBytes)))"
        }
    }

    /// The link kind in words; augmented links name the radius R their terms were made with.
    private var linkDescription: String {
        guard metric == .innerProduct else { return "metric" }
        guard linkMode == .augmented else { return parameters.links.name }
        return "augmented (R \(String(format: "%.4g", linkTerms.radiusSquared.squareRoot())))"
    }

    /// Under the read lock: an online write may be growing the head, codes and link terms (a
    /// server's `stats` and `health` ops ask while writes go on).
    public var memoryBytes: Int { withReadLock { unlockedMemoryBytes } }
    private var unlockedMemoryBytes: Int { graph.memoryBytes + head.memoryBytes + linkTerms.memoryBytes + (codes?.memoryBytes ?? 0) }
    public var rows: Int { graph.count }
    public var deletedCount: Int { graph.deleted.count }
    /// Live rows that no walk from the entry point reaches and the exact head does not hold:
    /// no search returns them (one pass over the level-0 lists).
    public var unreachableRowCount: Int {
        graph.unreachableRows().filter { !graph.deleted.contains($0) && !head.set.contains($0) }.count
    }

    public func makeRetriever() -> any Retriever { HNSWRetriever(index: self) }

    /// Builds the index over every item vector of `reader`'s snapshot.
    public static func build(_ reader: StoreReader, parameters: HNSWParameters, threads: Int,
                             progress: ((Int, Int) -> Void)? = nil) throws -> HNSWSearchIndex {
        let meta = try reader.meta()
        let table = try VectorTable(reader)
        let mode = LinkMode(metric: meta.metric, parameters: parameters)
        let (graph, linkTerms) = HNSWGraph.build(table: table, parameters: parameters, mode: mode, threads: threads) {
            progress?($0, table.rows)
        }
        let index = HNSWSearchIndex(graph: graph, parameters: parameters, meta: meta, linkTerms: linkTerms)
        index.selectHead(table)
        if parameters.int8 {
            index.codes = HNSWCodes.encode(table, metric: meta.metric, quantizer: HNSWCodes.train(table))
        }
        return index
    }

    /// Picks the head (inner product only): the `headFraction` of rows with the largest norms.
    func selectHead(_ table: VectorTable) {
        head.select(table, fraction: metric == .innerProduct ? parameters.headFraction : 0, deleted: graph.deleted)
    }

    func withReadLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_rwlock_rdlock(&lock)
        defer { pthread_rwlock_unlock(&lock) }
        return try body()
    }

    func withWriteLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_rwlock_wrlock(&lock)
        defer { pthread_rwlock_unlock(&lock) }
        return try body()
    }
}

enum Format {
    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
}

extension HNSWSearchIndex {
    /// Writes the whole index into the store (replacing any previous HNSW) in `writer`'s
    /// transaction.
    public func save(_ writer: StoreWriter) throws { try HNSWStorage.save(self, writer) }

    /// Loads the HNSW index built in `store`.
    public static func load(_ store: EmbeddingStore) throws -> HNSWSearchIndex { try HNSWStorage.load(store) }
}
