import CLMDB
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One LMDB environment: a directory holding `data.mdb` and `lock.mdb`, opened with MDB_NOTLS so
/// that read transactions may move between threads.
///
/// Writes go through `write(_:)`, which commits when the body returns and aborts when it throws.
/// When the map is full the transaction is aborted, the map grows (only while no other
/// transaction of this environment is open, as LMDB requires) and the body runs again: a write
/// body must be restartable (it must not consume input it cannot read again).
public final class Environment: @unchecked Sendable {
    public struct Options: Sendable {
        /// Initial map size in bytes. The file grows only as pages are written; the map is
        /// address space, so a large value costs nothing on 64-bit Linux.
        public var mapSize: Int = 1 << 40
        public var maxDatabases: UInt32 = 32
        public var maxReaders: UInt32 = 512
        public var readOnly: Bool = false
        /// Skip the fsync at commit (a crash may lose the last commits, never corrupt).
        public var noSync: Bool = false
        /// Write through the shared memory map (MDB_WRITEMAP): no copy of dirty pages, faster
        /// bulk loads; LMDB then sizes the file to the map (sparse), so keep `mapSize` modest.
        public var writeMap: Bool = false
        /// Largest size the map may grow to on MDB_MAP_FULL.
        public var maxMapSize: Int = 1 << 44

        public init() {}
    }

    @usableFromInline let handle: OpaquePointer
    public let path: String
    public let options: Options
    /// Transactions (read or write) begun and not yet finished or reset.
    private let liveTransactions = Atomic<Int>(0)
    private let closed = Atomic<Bool>(false)

    /// Opens (creating the directory if needed) the environment at `path`.
    public init(path: String, options: Options = Options()) throws {
        var env: OpaquePointer?
        try LMDBError.check(mdb_env_create(&env))
        guard let env else { throw LMDBError.invalid }
        do {
            try LMDBError.check(mdb_env_set_mapsize(env, options.mapSize))
            try LMDBError.check(mdb_env_set_maxdbs(env, options.maxDatabases))
            try LMDBError.check(mdb_env_set_maxreaders(env, options.maxReaders))
            if !options.readOnly {
                if mkdir(path, 0o755) != 0 && errno != EEXIST { throw LMDBError.system(code: errno) }
            }
            var flags = UInt32(MDB_NOTLS)
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            if options.noSync { flags |= UInt32(MDB_NOSYNC) }
            if options.writeMap { flags |= UInt32(MDB_WRITEMAP) }
            try LMDBError.check(mdb_env_open(env, path, flags, 0o644))
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.handle = env
        self.path = path
        self.options = options
    }

    deinit { close() }

    /// Closes the environment. Every transaction must have ended.
    public func close() {
        if closed.exchange(true, ordering: .acquiringAndReleasing) { return }
        mdb_env_close(handle)
    }

    // MARK: transactions

    /// Runs `body` in a read-only transaction (a consistent snapshot) and ends it.
    @inlinable
    public func read<R>(_ body: (Transaction) throws -> R) throws -> R {
        let txn = try Transaction(environment: self, readOnly: true)
        defer { txn.abort() }
        return try body(txn)
    }

    /// Runs `body` in the write transaction and commits; aborts if `body` throws. Grows the map
    /// and runs `body` again on MDB_MAP_FULL.
    @discardableResult
    public func write<R>(_ body: (Transaction) throws -> R) throws -> R {
        while true {
            let txn = try Transaction(environment: self, readOnly: false)
            do {
                let result = try body(txn)
                try txn.commit()
                return result
            } catch LMDBError.mapFull {
                txn.abort()
                try grow()
            } catch {
                txn.abort()
                throw error
            }
        }
    }

    /// Begins a transaction that the caller ends (commit, abort, or reset/renew for readers).
    public func beginTransaction(readOnly: Bool) throws -> Transaction {
        try Transaction(environment: self, readOnly: readOnly)
    }

    @usableFromInline
    func transactionBegan() { liveTransactions.add(1, ordering: .relaxed) }

    @usableFromInline
    func transactionEnded() { liveTransactions.subtract(1, ordering: .relaxed) }

    /// Adopts a map size changed by another process (MDB_MAP_RESIZED); only while idle.
    @usableFromInline
    func adoptResizedMap() throws {
        guard liveTransactions.load(ordering: .acquiring) == 0 else { throw LMDBError.mapResized }
        try LMDBError.check(mdb_env_set_mapsize(handle, 0))
    }

    private func grow() throws {
        let current = info.mapSize
        guard current < options.maxMapSize,
              liveTransactions.load(ordering: .acquiring) == 0 else { throw LMDBError.mapFull }
        try LMDBError.check(mdb_env_set_mapsize(handle, min(current * 2, options.maxMapSize)))
    }

    // MARK: databases

    /// Opens a named database, creating it when `create` is true. The handle is valid for the
    /// environment's life (the opening transaction is committed, as LMDB requires).
    public func openDatabase(_ name: String, create: Bool) throws -> Database {
        let readOnly = !create || options.readOnly
        let txn = try Transaction(environment: self, readOnly: readOnly)
        var dbi: MDB_dbi = 0
        let flags: UInt32 = readOnly ? 0 : UInt32(MDB_CREATE)
        do {
            try LMDBError.check(mdb_dbi_open(txn.handle, name, flags, &dbi))
        } catch {
            txn.abort()
            throw error
        }
        try txn.commit()
        return Database(handle: dbi, name: name)
    }

    // MARK: facts

    public struct Info: Sendable {
        public let mapSize: Int
        public let lastPage: Int
        public let lastTransaction: Int
        public let readers: Int
        public let maxReaders: Int
    }

    public var info: Info {
        var raw = MDB_envinfo()
        mdb_env_info(handle, &raw)
        return Info(mapSize: raw.me_mapsize, lastPage: raw.me_last_pgno, lastTransaction: raw.me_last_txnid,
                    readers: Int(raw.me_numreaders), maxReaders: Int(raw.me_maxreaders))
    }

    public var pageSize: Int {
        var st = MDB_stat()
        mdb_env_stat(handle, &st)
        return Int(st.ms_psize)
    }

    /// Bytes in use: pages up to the last one written.
    public var usedBytes: Int { (info.lastPage + 1) * pageSize }

    /// Flushes to disk (useful after writes with `noSync`).
    public func sync(force: Bool = true) throws {
        try LMDBError.check(mdb_env_sync(handle, force ? 1 : 0))
    }

    /// Shrinks `data.mdb` to the pages in use, then closes the environment. With `writeMap`
    /// LMDB sizes the file to the whole map (sparse): call this when a bulk load is over. The
    /// write lock is held while cutting, so no other process can add pages past the cut.
    public func closeTrimmingFile() throws {
        defer { close() }
        let txn = try Transaction(environment: self, readOnly: false)
        defer { txn.abort() }
        var fd: Int32 = -1
        try LMDBError.check(mdb_env_get_fd(handle, &fd))
        let used = off_t(usedBytes)
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw LMDBError.system(code: errno) }
        if st.st_size > used && ftruncate(fd, used) != 0 { throw LMDBError.system(code: errno) }
    }

    /// Largest key LMDB accepts, in bytes.
    public var maxKeySize: Int { Int(mdb_env_get_maxkeysize(handle)) }
}
