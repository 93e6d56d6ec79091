import CLMDB

/// A position in one database, for ordered scans. Lives inside `Transaction.withCursor`; the
/// key and value buffers it yields point into the map and are valid until the transaction ends.
public final class Cursor {
    @usableFromInline let handle: OpaquePointer
    private var isOpen = true

    init(transaction: Transaction, database: Database) throws {
        var cursor: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(transaction.handle, database.handle, &cursor))
        guard let cursor else { throw LMDBError.invalid }
        self.handle = cursor
    }

    func close() {
        if isOpen { mdb_cursor_close(handle); isOpen = false }
    }

    public typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    @usableFromInline
    func get(_ op: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws -> Entry? {
        var k = MDB_val(mv_size: key?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: key?.baseAddress))
        var v = MDB_val()
        let rc = mdb_cursor_get(handle, &k, &v, op)
        if rc == MDB_NOTFOUND { return nil }
        try LMDBError.check(rc)
        return (UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    public func first() throws -> Entry? { try get(MDB_FIRST) }
    public func last() throws -> Entry? { try get(MDB_LAST) }
    public func next() throws -> Entry? { try get(MDB_NEXT) }
    public func previous() throws -> Entry? { try get(MDB_PREV) }
    /// The first entry whose key is >= `key`.
    public func seek(atLeast key: UnsafeRawBufferPointer) throws -> Entry? { try get(MDB_SET_RANGE, key: key) }

    /// Calls `body` for every entry whose key starts with `prefix`, in key order; `body` returns
    /// false to stop.
    public func forEach(prefix: [UInt8], _ body: (Entry) throws -> Bool) throws {
        try prefix.withUnsafeBytes { p in
            var entry = p.isEmpty ? try first() : try seek(atLeast: p)
            while let e = entry, e.key.starts(with: p) {
                if try !body(e) { return }
                entry = try next()
            }
        }
    }

    /// Deletes the entry under the cursor.
    public func deleteCurrent() throws {
        try LMDBError.check(mdb_cursor_del(handle, 0))
    }
}
