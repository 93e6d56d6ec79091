import LMDB
import Store
import VectorMath

/// A built IVF index as a `SearchIndex`: the parameters of one build. List summaries are read
/// in place from each query's snapshot, and the posting lists from a copy in huge-page memory
/// of the state that snapshot holds (`IVFResidentLists`, kept in step with online writes list
/// by list) or, without one, from the snapshot itself; so online inserts and deletes are seen
/// by every snapshot that includes them, and by no other. A rebuild (new build id) makes the
/// retrievers throw `IndexError.indexChanged` until the index is reopened.
public final class IVFSearchIndex: SearchIndex {
    public let store: EmbeddingStore
    public let tables: IVFTables
    public let info: IVFIndexInfo
    /// Per-dimension residual codes (`.int8` encoding only).
    public let quantizer: IVFInt8Quantizer?
    /// int8 lists: candidates re-scored in float32 from the store per result wanted.
    public let rerankFactor: Int

    public var kind: IndexKind { .ivf }
    public var metric: Metric { info.metric }
    public var dimension: Int { info.dimension }
    public var summary: String {
        "ivf (nlist \(info.lists), \(info.encoding), nprobe \(info.nprobe), \(info.metric.rawValue), \(info.entries) rows, build \(info.buildID))"
    }

    /// The build's centroids in memory (read by every query).
    let centroids: IVFCentroids
    /// Copies of the posting lists in memory, by committed state.
    let resident = IVFResidentStates()

    init(store: EmbeddingStore, tables: IVFTables, info: IVFIndexInfo, quantizer: IVFInt8Quantizer?, centroids: IVFCentroids,
         rerankFactor: Int = 4) {
        self.store = store
        self.centroids = centroids
        self.tables = tables
        self.info = info
        self.quantizer = quantizer
        self.rerankFactor = rerankFactor
    }

    /// The IVF index built in `store`, or nil when there is none. With `preload` (the default)
    /// the posting lists are copied into memory before the first query (`preload()`).
    public static func open(_ store: EmbeddingStore, rerankFactor: Int = 4, preload: Bool = true) throws -> IVFSearchIndex? {
        guard let tables = try IVFTables.open(store, create: false) else { return nil }
        let index = try IVFTables.lmdb("read ivf_meta in \(store.path)") { try store.environment.read { txn -> IVFSearchIndex? in
            guard let info = try IVFIndexInfo.load(tables, in: txn) else { return nil }
            var quantizer: IVFInt8Quantizer?
            if info.encoding == .int8 {
                quantizer = IVFInt8Quantizer(offset: try tables.modelFloats(.int8Offset, expected: info.dimension, in: txn),
                                             scale: try tables.modelFloats(.int8Scale, expected: info.dimension, in: txn))
            }
            let floats = try tables.modelFloats(.centroids, expected: info.lists * info.dimension, in: txn)
            let centroids = floats.withUnsafeBufferPointer {
                IVFCentroids(copying: $0.baseAddress!, count: info.lists, dimension: info.dimension, metric: info.metric)
            }
            return IVFSearchIndex(store: store, tables: tables, info: info, quantizer: quantizer, centroids: centroids,
                                  rerankFactor: rerankFactor)
        } }
        if preload { try index?.preload() }
        return index
    }

    /// True when `store` holds an IVF index.
    public static func isBuilt(_ store: EmbeddingStore) throws -> Bool {
        guard let tables = try IVFTables.open(store, create: false) else { return false }
        return try IVFTables.lmdb("read ivf_meta in \(store.path)") {
            try store.environment.read { try tables.metaValue(.layoutVersion, as: UInt32.self, in: $0) } != nil
        }
    }

    public func makeRetriever() -> any Retriever { IVFRetriever(index: self) }

    /// Files the upserted rows in their nearest lists and takes the deleted ones out, in the
    /// writer's transaction (`IVFUpdater.apply`), so the lists never lag the store.
    public func applyWrites(upserted: [UInt32], deleted: [UInt32], in writer: StoreWriter) throws {
        try IVFUpdater(index: self).apply(upserted: upserted, deleted: deleted, in: writer)
    }

    /// Candidates gathered before the float32 re-score, for `k` results.
    func candidateCount(k: Int) -> Int {
        info.encoding == .int8 ? max(k + 8, k * rerankFactor) : k
    }
}
