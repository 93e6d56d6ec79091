import CLMDB

/// A read or write transaction. Values read in it point into the memory map and stay valid only
/// until the transaction ends or (in a write transaction) the next write: use them inside the
/// closures that hand them out.
public final class Transaction {
    @usableFromInline let handle: OpaquePointer
    @usableFromInline let environment: Environment
    public let isReadOnly: Bool
    @usableFromInline var state: State

    @usableFromInline
    enum State { case live, reset, finished }

    @usableFromInline
    init(environment: Environment, readOnly: Bool) throws {
        var txn: OpaquePointer?
        let flags: UInt32 = readOnly ? UInt32(MDB_RDONLY) : 0
        var rc = mdb_txn_begin(environment.handle, nil, flags, &txn)
        if rc == MDB_MAP_RESIZED {
            try environment.adoptResizedMap()
            rc = mdb_txn_begin(environment.handle, nil, flags, &txn)
        }
        try LMDBError.check(rc)
        guard let txn else { throw LMDBError.badTransaction }
        self.handle = txn
        self.environment = environment
        self.isReadOnly = readOnly
        self.state = .live
        environment.transactionBegan()
    }

    deinit { abort() }

    /// Commits a live transaction (a read transaction just ends).
    public func commit() throws {
        guard state != .finished else { throw LMDBError.badTransaction }
        let wasLive = state == .live
        state = .finished
        if wasLive { environment.transactionEnded() }
        try LMDBError.check(mdb_txn_commit(handle))
    }

    /// Ends the transaction without writing anything. Safe to call more than once.
    @inlinable
    public func abort() {
        guard state != .finished else { return }
        if state == .live { environment.transactionEnded() }
        state = .finished
        mdb_txn_abort(handle)
    }

    /// Releases a read transaction's snapshot but keeps its reader slot, for `renew()`.
    public func reset() {
        guard isReadOnly, state == .live else { return }
        mdb_txn_reset(handle)
        state = .reset
        environment.transactionEnded()
    }

    /// Takes a fresh snapshot in a read transaction that was `reset()`.
    public func renew() throws {
        guard isReadOnly, state == .reset else { throw LMDBError.badTransaction }
        try LMDBError.check(mdb_txn_renew(handle))
        state = .live
        environment.transactionBegan()
    }

    // MARK: reading

    /// Calls `body` with the value stored under `key`, or nil when there is none.
    @inlinable
    public func withValue<R>(forKey key: UnsafeRawBufferPointer, in db: Database,
                             _ body: (UnsafeRawBufferPointer?) throws -> R) throws -> R {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(handle, db.handle, &k, &v)
        if rc == MDB_NOTFOUND { return try body(nil) }
        try LMDBError.check(rc)
        return try body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    /// A copy of the value stored under `key`.
    public func bytes(forKey key: [UInt8], in db: Database) throws -> [UInt8]? {
        try key.withUnsafeBytes { k in
            try withValue(forKey: k, in: db) { v in v.map { Array($0.bindMemory(to: UInt8.self)) } }
        }
    }

    // MARK: writing

    public struct PutFlags: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Fail with `keyExists` instead of overwriting.
        public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
        /// The key sorts after every key in the database (fast bulk load).
        public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
    }

    /// Stores `value` under `key`.
    @inlinable
    public func put(_ value: UnsafeRawBufferPointer, forKey key: UnsafeRawBufferPointer, in db: Database,
                    flags: PutFlags = []) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try LMDBError.check(mdb_put(handle, db.handle, &k, &v, flags.rawValue))
    }

    public func put(_ value: [UInt8], forKey key: [UInt8], in db: Database, flags: PutFlags = []) throws {
        try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try put(v, forKey: k, in: db, flags: flags) } }
    }

    /// Reserves `count` bytes under `key` and lets `body` fill them in place (no extra copy).
    @inlinable
    public func reserve<R>(_ count: Int, forKey key: UnsafeRawBufferPointer, in db: Database, flags: PutFlags = [],
                           _ body: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: count, mv_data: nil)
        try LMDBError.check(mdb_put(handle, db.handle, &k, &v, flags.rawValue | UInt32(MDB_RESERVE)))
        return try body(UnsafeMutableRawBufferPointer(start: v.mv_data, count: count))
    }

    /// Deletes `key`; returns false when it was not there.
    @discardableResult
    public func delete(key: UnsafeRawBufferPointer, in db: Database) throws -> Bool {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        let rc = mdb_del(handle, db.handle, &k, nil)
        if rc == MDB_NOTFOUND { return false }
        try LMDBError.check(rc)
        return true
    }

    @discardableResult
    public func delete(key: [UInt8], in db: Database) throws -> Bool {
        try key.withUnsafeBytes { try delete(key: $0, in: db) }
    }

    /// Removes every entry of `db` (the database itself stays).
    public func empty(_ db: Database) throws {
        try LMDBError.check(mdb_drop(handle, db.handle, 0))
    }

    /// Opens a named database inside this transaction (a write transaction may create it).
    /// The handle outlives the transaction once it commits.
    public func openDatabase(_ name: String, create: Bool) throws -> Database {
        var dbi: MDB_dbi = 0
        let flags: UInt32 = create && !isReadOnly ? UInt32(MDB_CREATE) : 0
        try LMDBError.check(mdb_dbi_open(handle, name, flags, &dbi))
        return Database(handle: dbi, name: name)
    }

    // MARK: cursors and statistics

    /// Calls `body` with a cursor over `db`, closed afterwards.
    public func withCursor<R>(_ db: Database, _ body: (Cursor) throws -> R) throws -> R {
        let cursor = try Cursor(transaction: self, database: db)
        defer { cursor.close() }
        return try body(cursor)
    }

    public func statistics(of db: Database) throws -> DatabaseStatistics {
        var st = MDB_stat()
        try LMDBError.check(mdb_stat(handle, db.handle, &st))
        return DatabaseStatistics(entries: st.ms_entries, depth: Int(st.ms_depth), branchPages: st.ms_branch_pages,
                                  leafPages: st.ms_leaf_pages, overflowPages: st.ms_overflow_pages,
                                  pageSize: Int(st.ms_psize))
    }
}
