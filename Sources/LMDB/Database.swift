import CLMDB

/// A named database inside an environment. A plain handle: valid for the environment's life.
public struct Database: Sendable, Hashable {
    public let handle: MDB_dbi
    public let name: String

    @usableFromInline
    init(handle: MDB_dbi, name: String) {
        self.handle = handle
        self.name = name
    }
}

/// Entry counts and page use of one database.
public struct DatabaseStatistics: Sendable {
    public let entries: Int
    public let depth: Int
    public let branchPages: Int
    public let leafPages: Int
    public let overflowPages: Int
    public let pageSize: Int

    /// Bytes held by the database's pages.
    public var bytes: Int { (branchPages + leafPages + overflowPages) * pageSize }
}
