import Foundation
import LMDB
import VectorMath

/// One index store: one directory, one LMDB environment, the tables of `StoreLayout`.
///
/// Reads run in snapshots (`read`), writes in one transaction each (`write`): a write that
/// throws leaves the store exactly as it was. A store is empty ("not initialised") until the
/// first write fixes its dimension and metric.
public final class EmbeddingStore: @unchecked Sendable {
    public let path: String
    public let environment: Environment
    @usableFromInline let tables: [StoreLayout.Table: Database]
    /// What the writes committed through this object changed (`StoreChangeLog`).
    public let changeLog = StoreChangeLog()
    /// Row -> external id, in memory, per entity (`RowIDCache`).
    public let itemIDs = RowIDCache(entity: .item), userIDs = RowIDCache(entity: .user)

    /// Opens the store at `path`. With `create`, a missing directory becomes an empty store;
    /// without it, a directory that holds no store is `notAStore`. A store whose format version
    /// differs, or that does not match `expecting`, is refused.
    public init(path: String, expecting: StoreExpectation = StoreExpectation(), create: Bool = false,
                readOnly: Bool = false, options: Environment.Options = Environment.Options()) throws {
        let dataFile = (path as NSString).appendingPathComponent("data.mdb")
        if !FileManager.default.fileExists(atPath: dataFile) && (!create || readOnly) {
            throw StoreError.notAStore(path: path)
        }
        var options = options
        options.readOnly = readOnly
        let env = try StoreError.wrap("open \(path)") { try Environment(path: path, options: options) }
        var tables: [StoreLayout.Table: Database] = [:]
        for table in StoreLayout.Table.allCases {
            do {
                tables[table] = try env.openDatabase(table.rawValue, create: !readOnly)
            } catch LMDBError.notFound {
                throw StoreError.notAStore(path: path)
            } catch let error as LMDBError {
                throw StoreError.lmdb(error, operation: "open table \(table.rawValue) in \(path)")
            }
        }
        self.path = path
        self.environment = env
        self.tables = tables
        if let meta = try read({ try $0.loadMeta() }) {
            try expecting.check(meta)
        }
    }

    @inlinable
    func table(_ t: StoreLayout.Table) -> Database { tables[t]! }

    public func rowIDs(_ entity: Entity) -> RowIDCache { entity == .item ? itemIDs : userIDs }

    /// Copies into memory the row -> id table of every row committed so far, in whole chunks
    /// (`RowIDCache`); answers then name their rows without an LMDB lookup each. Lookups past
    /// the cached rows read LMDB and extend the cache now and then by themselves. Returns the
    /// rows cached.
    @discardableResult
    public func cacheRowIDs(_ entity: Entity = .item) throws -> Int {
        try read { try rowIDs(entity).extend($0) }
    }

    /// The store's meta, or nil while it holds nothing.
    public func meta() throws -> StoreMeta? { try read { try $0.loadMeta() } }

    /// Runs `body` on a consistent snapshot of the store.
    public func read<R>(_ body: (StoreReader) throws -> R) throws -> R {
        try StoreError.wrap("read transaction in \(path)") {
            try environment.read { txn in try body(StoreReader(store: self, transaction: txn)) }
        }
    }

    /// Runs `body` in one write transaction and commits it; nothing is written if it throws.
    /// `body` runs again if the map had to grow, so it must be restartable.
    @discardableResult
    public func write<R>(_ body: (StoreWriter) throws -> R) throws -> R {
        var committed: StoreWriter?
        let result = try StoreError.wrap("write transaction in \(path)") {
            try environment.write { txn in
                let writer = try StoreWriter(store: self, transaction: txn)
                let result = try body(writer)
                try writer.finish()
                committed = writer  // the last attempt's writer is the one that committed
                return result
            }
        }
        if let w = committed {
            changeLog.record(sequence: w.counts.writeSequence, complete: !w.changesOverflowed,
                             itemRows: w.changedItemRows, historyItems: w.addedHistoryItems)
        }
        return result
    }

    /// Begins a long-lived snapshot that the caller renews after writes (servers).
    public func beginSnapshot() throws -> Transaction {
        try StoreError.wrap("begin snapshot in \(path)") { try environment.beginTransaction(readOnly: true) }
    }

    /// A reader over a transaction begun with `beginSnapshot()`.
    public func reader(on transaction: Transaction) -> StoreReader {
        StoreReader(store: self, transaction: transaction)
    }

    /// Bytes the data file occupies on disk.
    public var fileBytes: Int {
        let file = (path as NSString).appendingPathComponent("data.mdb")
        return ((try? FileManager.default.attributesOfItem(atPath: file)[.size]) as? Int) ?? 0
    }
}
