import LMDB
import VectorMath

/// Write access inside one LMDB write transaction (`EmbeddingStore.write`). Nothing it does is
/// visible to readers until the transaction commits; if anything throws, nothing is written.
///
/// Vectors are kept in blocks of `vectorsPerBlock` rows; the writer edits a few blocks in memory
/// and writes each back once (`MDB_RESERVE`), so appending rows in order writes every block once.
public final class StoreWriter {
    public let store: EmbeddingStore
    public let transaction: Transaction
    public private(set) var meta: StoreMeta?
    public private(set) var counts: StoreCounts
    private var reader: StoreReader { StoreReader(store: store, transaction: transaction) }
    private var blocks: [Entity: [UInt32: EditableBlock]] = [:]
    /// The block edited last: consecutive rows hit it without a dictionary lookup.
    private var lastBlock: (entity: Entity, number: UInt32, block: EditableBlock)?
    private var lastIDKey: [Entity: [UInt8]] = [:]
    var columnCache: [Entity: [String: FeatureColumn]]?
    /// Item rows this write created or set features of (for `StoreChangeLog`; may repeat).
    var changedItemRows: [UInt32] = []
    /// The item of every history entry this write added.
    var addedHistoryItems: [UInt32] = []
    /// Set when the two lists would pass `changeLimit` (a bulk import): they are dropped, and
    /// the change log records the write as too big to list (caches reload).
    private(set) var changesOverflowed = false
    static let changeLimit = 1 << 20

    /// Notes a changed item row (`history`: the item of an added history entry) for the change log.
    func noteChange(_ row: UInt32, history: Bool = false) {
        guard !changesOverflowed else { return }
        if changedItemRows.count + addedHistoryItems.count >= Self.changeLimit {
            changesOverflowed = true
            changedItemRows = []
            addedHistoryItems = []
            return
        }
        if history { addedHistoryItems.append(row) } else { changedItemRows.append(row) }
    }

    private static let maxCachedBlocks = 16

    init(store: EmbeddingStore, transaction: Transaction) throws {
        self.store = store
        self.transaction = transaction
        let reader = StoreReader(store: store, transaction: transaction)
        self.meta = try reader.loadMeta()
        self.counts = try reader.counts()
    }

    /// Fixes dimension and metric of an empty store, or checks that they match a non-empty one.
    @discardableResult
    public func initialize(dimension: Int, metric: Metric) throws -> StoreMeta {
        if let meta {
            try StoreExpectation(dimension: dimension, metric: metric).check(meta)
            return meta
        }
        guard (1...65536).contains(dimension) else { throw StoreError.invalidDimension(dimension) }
        let meta = StoreMeta(dimension: dimension, metric: metric)
        try putMeta(.formatVersion, meta.formatVersion)
        try putMeta(.dimension, UInt32(dimension))
        try putMeta(.metric, metric.code)
        try putMeta(.elementType, StoreLayout.elementFloat32)
        try putMeta(.vectorsPerBlock, UInt32(meta.vectorsPerBlock))
        self.meta = meta
        return meta
    }

    /// The meta record; `notInitialized` before `initialize`.
    public func requireMeta() throws -> StoreMeta {
        guard let meta else { throw StoreError.notInitialized(path: store.path) }
        return meta
    }

    private func putMeta<T: FixedWidthInteger>(_ key: StoreLayout.MetaKey, _ value: T) throws {
        try transaction.put(KeyCodec.encode(value), forKey: Array(key.rawValue.utf8), in: store.table(.meta))
    }

    // MARK: ids

    /// The internal row of `id`, assigning the next free row when the store does not know it
    /// (a new row has no vector until one is set). Returns whether the row was created.
    public func resolve(_ id: ExternalID, _ entity: Entity) throws -> (row: UInt32, created: Bool) {
        if let row = try reader.row(of: id, entity) { return (row, false) }
        let next = counts.rows(entity)
        guard next < Int(UInt32.max) else { throw StoreError.tooManyRows(entity) }
        let row = UInt32(next)
        let key = KeyCodec.externalKey(id)
        // Keys arriving in order (ids 0, 1, 2, ... from a trainer) go in with MDB_APPEND.
        let last = try lastKey(entity)
        let flags: Transaction.PutFlags = last.map { key.lexicographicallyPrecedes($0) } == false ? .append : []
        try transaction.put(KeyCodec.encode(row), forKey: key, in: store.table(.ids(entity)), flags: flags)
        if flags.contains(.append) || last == nil { lastIDKey[entity] = key }
        try KeyCodec.withRowKey(row) { k in
            try key.withUnsafeBytes { v in try transaction.put(v, forKey: k, in: store.table(.rows(entity)), flags: .append) }
        }
        counts.setRows(entity, next + 1)
        if entity == .item { noteChange(row) }
        return (row, true)
    }

    private func lastKey(_ entity: Entity) throws -> [UInt8]? {
        if let key = lastIDKey[entity] { return key }
        let key = try transaction.withCursor(store.table(.ids(entity))) { try $0.last().map { Array($0.key) } }
        lastIDKey[entity] = key
        return key
    }

    // MARK: vectors

    /// Sets the vector of each id (row-major `vectors`, `ids.count` rows), creating rows for new
    /// ids. Cosine stores keep vectors normalised. Returns the internal rows, in order.
    @discardableResult
    public func upsertVectors(_ entity: Entity, ids: [ExternalID], vectors: UnsafeBufferPointer<Float>) throws -> [UInt32] {
        let meta = try requireMeta()
        guard vectors.count == ids.count * meta.dimension else {
            throw StoreError.dimensionMismatch(expected: meta.dimension, got: ids.isEmpty ? 0 : vectors.count / ids.count)
        }
        var rows: [UInt32] = []
        rows.reserveCapacity(ids.count)
        for (i, id) in ids.enumerated() {
            let row = try resolve(id, entity).row
            let v = UnsafeBufferPointer(rebasing: vectors[i * meta.dimension ..< (i + 1) * meta.dimension])
            // One SIMD pass: a NaN or infinite component makes the squared norm non-finite, and
            // so does a vector so long that scores with it would overflow float32.
            let squaredNorm = Distance.squaredNorm(v.baseAddress!, count: meta.dimension)
            if !(squaredNorm <= Distance.maximumSquaredNorm) {
                if let column = Self.firstNonFinite(v) { throw StoreError.nonFiniteValue(entity, id, column: column) }
                throw StoreError.vectorTooLong(entity, id, squaredNorm: squaredNorm)
            }
            try setVector(v, row: row, entity, meta: meta)
            rows.append(row)
        }
        return rows
    }

    /// Makes a row vacant (no vector). Its id stays mapped.
    public func removeVector(row: UInt32, _ entity: Entity) throws {
        let meta = try requireMeta()
        let block = try editableBlock(row / UInt32(meta.vectorsPerBlock), entity, meta: meta)
        let offset = Int(row % UInt32(meta.vectorsPerBlock))
        if !block.vectors[offset * meta.dimension].isNaN { counts.setVectors(entity, counts.vectors(entity) - 1) }
        for j in 0..<meta.dimension { block.vectors[offset * meta.dimension + j] = .nan }
        block.norms[offset] = 0
    }

    private func setVector(_ v: UnsafeBufferPointer<Float>, row: UInt32, _ entity: Entity, meta: StoreMeta) throws {
        let block = try editableBlock(row / UInt32(meta.vectorsPerBlock), entity, meta: meta)
        let offset = Int(row % UInt32(meta.vectorsPerBlock))
        let base = offset * meta.dimension
        if block.vectors[base].isNaN { counts.setVectors(entity, counts.vectors(entity) + 1) }
        block.vectors.withUnsafeMutableBufferPointer { dst in
            let target = dst.baseAddress! + base
            target.update(from: v.baseAddress!, count: meta.dimension)
            if meta.metric == .cosine { _ = Distance.normalize(target, count: meta.dimension) }
            block.norms[offset] = Distance.squaredNorm(target, count: meta.dimension)
        }
    }

    private func editableBlock(_ number: UInt32, _ entity: Entity, meta: StoreMeta) throws -> EditableBlock {
        if let last = lastBlock, last.entity == entity, last.number == number { return last.block }
        let block = try lookUpBlock(number, entity, meta: meta)
        lastBlock = (entity, number, block)
        return block
    }

    private func lookUpBlock(_ number: UInt32, _ entity: Entity, meta: StoreMeta) throws -> EditableBlock {
        if let block = blocks[entity]?[number] { return block }
        if (blocks[entity]?.count ?? 0) >= Self.maxCachedBlocks { try flushBlocks(entity) }
        let block = try EditableBlock(loading: number, entity, reader: reader, meta: meta)
        blocks[entity, default: [:]][number] = block
        return block
    }

    private func flushBlocks(_ entity: Entity) throws {
        guard let cached = blocks[entity] else { return }
        for (number, block) in cached.sorted(by: { $0.key < $1.key }) {
            try block.write(number, entity, transaction: transaction, store: store)
        }
        blocks[entity] = [:]
        lastBlock = nil
    }

    /// Index of the first NaN or infinite component, if any.
    static func firstNonFinite(_ v: UnsafeBufferPointer<Float>) -> Int? {
        v.firstIndex { !$0.isFinite }
    }

    // MARK: commit

    /// Writes the vector blocks and row counts edited so far into the transaction, so that
    /// readers of this transaction (an index updating itself) see them. `finish` does it too.
    public func flushVectors() throws {
        for entity in Entity.allCases { try flushBlocks(entity) }
        let before = try reader.counts()
        for entity in Entity.allCases {
            if counts.rows(entity) != before.rows(entity) {
                try putMeta(.count(entity), UInt64(counts.rows(entity)))
            }
            if counts.vectors(entity) != before.vectors(entity) {
                try putMeta(.vectorCount(entity), UInt64(counts.vectors(entity)))
            }
        }
    }

    /// Writes the edited blocks and the counts, and bumps the write sequence; called by
    /// `EmbeddingStore.write` before commit.
    func finish() throws {
        try flushVectors()
        counts.writeSequence = try reader.counts().writeSequence + 1
        try putMeta(.writeSequence, counts.writeSequence)
    }
}

/// One vector block (and its norms) being edited in memory.
final class EditableBlock {
    var vectors: [Float]
    var norms: [Float]

    init(loading number: UInt32, _ entity: Entity, reader: StoreReader, meta: StoreMeta) throws {
        let store = reader.store
        let txn = reader.transaction
        let floats = meta.vectorsPerBlock * meta.dimension
        vectors = try KeyCodec.withRowKey(number) { k in
            try txn.withValue(forKey: k, in: store.table(.vectors(entity))) { v in
                guard let v else { return [Float](repeating: .nan, count: floats) }
                return Array(try StoreReader.floats(v, expected: floats, entity: entity))
            }
        }
        norms = try KeyCodec.withRowKey(number) { k in
            try txn.withValue(forKey: k, in: store.table(.norms(entity))) { v in
                guard let v else { return [Float](repeating: 0, count: meta.vectorsPerBlock) }
                return Array(try StoreReader.floats(v, expected: meta.vectorsPerBlock, entity: entity))
            }
        }
    }

    func write(_ number: UInt32, _ entity: Entity, transaction: Transaction, store: EmbeddingStore) throws {
        try KeyCodec.withRowKey(number) { k in
            try vectors.withUnsafeBytes { src in
                try transaction.reserve(src.count, forKey: k, in: store.table(.vectors(entity))) { $0.copyMemory(from: src) }
            }
            try norms.withUnsafeBytes { src in
                try transaction.reserve(src.count, forKey: k, in: store.table(.norms(entity))) { $0.copyMemory(from: src) }
            }
        }
    }
}
