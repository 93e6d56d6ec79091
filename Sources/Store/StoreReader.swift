import LMDB
import VectorMath

/// A contiguous run of stored vectors: rows `firstRow ..< firstRow + count`, row-major, with
/// their squared norms. The buffers point into the memory map and are valid only inside the
/// closure that hands them out. Vacant rows (no vector, or deleted) have NaN as component 0.
public struct VectorBlock {
    public let firstRow: UInt32
    public let count: Int
    public let vectors: UnsafeBufferPointer<Float>
    public let squaredNorms: UnsafeBufferPointer<Float>
}

/// Read access to one snapshot of a store. Lives inside `EmbeddingStore.read`.
public struct StoreReader {
    public let store: EmbeddingStore
    public let transaction: Transaction

    init(store: EmbeddingStore, transaction: Transaction) {
        self.store = store
        self.transaction = transaction
    }

    // MARK: meta

    func metaValue<T: FixedWidthInteger>(_ key: StoreLayout.MetaKey, as type: T.Type) throws -> T? {
        try Array(key.rawValue.utf8).withUnsafeBytes { k in
            try transaction.withValue(forKey: k, in: store.table(.meta)) { v in
                guard let v else { return nil }
                guard let x = KeyCodec.decode(T.self, v) else {
                    throw StoreError.corruptValue(table: "meta", reason: "\(key.rawValue) has \(v.count) bytes")
                }
                return x
            }
        }
    }

    /// The meta record, or nil while the store holds nothing.
    func loadMeta() throws -> StoreMeta? {
        guard let version = try metaValue(.formatVersion, as: UInt32.self) else { return nil }
        guard version == StoreLayout.formatVersion else {
            throw StoreError.formatVersionMismatch(path: store.path, expected: StoreLayout.formatVersion, got: version)
        }
        guard let dim = try metaValue(.dimension, as: UInt32.self),
              let metricCode = try metaValue(.metric, as: UInt8.self),
              let perBlock = try metaValue(.vectorsPerBlock, as: UInt32.self) else {
            throw StoreError.corruptValue(table: "meta", reason: "dimension, metric or vectors_per_block missing")
        }
        guard let metric = Metric(code: metricCode) else { throw StoreError.unknownMetricCode(metricCode) }
        var meta = StoreMeta(dimension: Int(dim), metric: metric)
        meta.vectorsPerBlock = Int(perBlock)
        return meta
    }

    /// The meta record; `notInitialized` while the store holds nothing.
    public func meta() throws -> StoreMeta {
        guard let meta = try loadMeta() else { throw StoreError.notInitialized(path: store.path) }
        return meta
    }

    public func counts() throws -> StoreCounts {
        var c = StoreCounts()
        c.items = Int(try metaValue(.itemCount, as: UInt64.self) ?? 0)
        c.users = Int(try metaValue(.userCount, as: UInt64.self) ?? 0)
        c.itemVectors = Int(try metaValue(.itemVectorCount, as: UInt64.self) ?? 0)
        c.userVectors = Int(try metaValue(.userVectorCount, as: UInt64.self) ?? 0)
        c.writeSequence = try metaValue(.writeSequence, as: UInt64.self) ?? 0
        return c
    }

    /// The write sequence alone (one lookup): a reader that caches derived state compares it.
    public func writeSequence() throws -> UInt64 {
        try metaValue(.writeSequence, as: UInt64.self) ?? 0
    }

    // MARK: ids

    /// The dense internal row of an external id, or nil when the store does not know it.
    public func row(of id: ExternalID, _ entity: Entity) throws -> UInt32? {
        try KeyCodec.externalKey(id).withUnsafeBytes { k in
            try transaction.withValue(forKey: k, in: store.table(.ids(entity))) { v in
                guard let v else { return nil }
                guard let row = KeyCodec.decode(UInt32.self, v) else {
                    throw StoreError.corruptValue(table: StoreLayout.Table.ids(entity).rawValue, reason: "row of \(id)")
                }
                return row
            }
        }
    }

    /// Like `row(of:_:)`, but an unknown id is an error.
    public func requireRow(of id: ExternalID, _ entity: Entity) throws -> UInt32 {
        guard let row = try row(of: id, entity) else { throw StoreError.unknownID(entity, id) }
        return row
    }

    /// The external id of an internal row.
    public func externalID(ofRow row: UInt32, _ entity: Entity) throws -> ExternalID {
        let cache = store.rowIDs(entity)
        if let id = cache.id(ofRow: row) { return id }
        cache.missed(self)
        return try KeyCodec.withRowKey(row) { k in
            try transaction.withValue(forKey: k, in: store.table(.rows(entity))) { v in
                guard let v else { throw StoreError.unknownInternalID(entity, row) }
                guard let id = KeyCodec.decodeExternalKey(v) else {
                    throw StoreError.corruptValue(table: StoreLayout.Table.rows(entity).rawValue, reason: "row \(row)")
                }
                return id
            }
        }
    }

    // MARK: vectors

    /// Calls `body` with the stored vector of `row` (zero-copy), or nil when the row is vacant.
    public func withVector<R>(ofRow row: UInt32, _ entity: Entity,
                              _ body: (UnsafeBufferPointer<Float>?) throws -> R) throws -> R {
        let meta = try meta()
        let perBlock = UInt32(meta.vectorsPerBlock)
        return try KeyCodec.withRowKey(row / perBlock) { k in
            try transaction.withValue(forKey: k, in: store.table(.vectors(entity))) { v in
                guard let v else { return try body(nil) }
                let floats = try Self.floats(v, expected: meta.vectorsPerBlock * meta.dimension, entity: entity)
                let start = Int(row % perBlock) * meta.dimension
                let vector = UnsafeBufferPointer(rebasing: floats[start ..< start + meta.dimension])
                return try body(vector[0].isNaN ? nil : vector)
            }
        }
    }

    /// A copy of the stored vector of `row`, or nil when vacant.
    public func vector(ofRow row: UInt32, _ entity: Entity) throws -> [Float]? {
        try withVector(ofRow: row, entity) { $0.map(Array.init) }
    }

    /// Calls `body` for every stored block in row order; `body` returns false to stop.
    public func forEachVectorBlock(_ entity: Entity, _ body: (VectorBlock) throws -> Bool) throws {
        let meta = try meta()
        let rows = try counts().rows(entity)
        let perBlock = meta.vectorsPerBlock
        let norms = store.table(.norms(entity))
        try transaction.withCursor(store.table(.vectors(entity))) { cursor in
            var entry = try cursor.first()
            while let (key, value) = entry {
                guard let block = KeyCodec.decodeRowKey(key) else {
                    throw StoreError.corruptValue(table: StoreLayout.Table.vectors(entity).rawValue, reason: "key size \(key.count)")
                }
                let first = Int(block) * perBlock
                let count = min(perBlock, rows - first)
                if count <= 0 { break }
                let vectors = try Self.floats(value, expected: perBlock * meta.dimension, entity: entity)
                let keepGoing = try transaction.withValue(forKey: key, in: norms) { n -> Bool in
                    guard let n else {
                        throw StoreError.corruptValue(table: StoreLayout.Table.norms(entity).rawValue, reason: "block \(block) missing")
                    }
                    let normFloats = try Self.floats(n, expected: perBlock, entity: entity)
                    return try body(VectorBlock(
                        firstRow: UInt32(first), count: count,
                        vectors: UnsafeBufferPointer(rebasing: vectors[0 ..< count * meta.dimension]),
                        squaredNorms: UnsafeBufferPointer(rebasing: normFloats[0 ..< count])))
                }
                if !keepGoing { break }
                entry = try cursor.next()
            }
        }
    }

    static func floats(_ raw: UnsafeRawBufferPointer, expected: Int, entity: Entity) throws -> UnsafeBufferPointer<Float> {
        guard raw.count == expected * 4 else {
            throw StoreError.corruptValue(table: StoreLayout.Table.vectors(entity).rawValue,
                                          reason: "block of \(raw.count) bytes, expected \(expected * 4)")
        }
        guard Int(bitPattern: raw.baseAddress) & 3 == 0 else {
            throw StoreError.corruptValue(table: StoreLayout.Table.vectors(entity).rawValue, reason: "misaligned block")
        }
        return raw.bindMemory(to: Float.self)
    }

    // MARK: statistics

    /// Entries and bytes of every table, for `annctl info`.
    public func tableStatistics() throws -> [(name: String, statistics: DatabaseStatistics)] {
        try StoreLayout.Table.allCases.map { ($0.rawValue, try transaction.statistics(of: store.table($0))) }
    }
}
