import CLMDB

#if canImport(Glibc)
import Glibc
#endif

/// An LMDB failure, mapped from the C return code by number (never by message text).
public enum LMDBError: Error, Equatable, Sendable, CustomStringConvertible {
    case keyExists
    case notFound
    case pageNotFound
    case corrupted
    case panic
    case versionMismatch
    case invalid
    case mapFull
    case databasesFull
    case readersFull
    case tlsFull
    case transactionFull
    case cursorFull
    case pageFull
    case mapResized
    case incompatible
    case badReaderSlot
    case badTransaction
    case badValueSize
    case badDatabase
    /// An errno value from the operating system (ENOENT, EACCES, ENOSPC, ...).
    case system(code: Int32)

    public init(code: Int32) {
        switch code {
        case MDB_KEYEXIST: self = .keyExists
        case MDB_NOTFOUND: self = .notFound
        case MDB_PAGE_NOTFOUND: self = .pageNotFound
        case MDB_CORRUPTED: self = .corrupted
        case MDB_PANIC: self = .panic
        case MDB_VERSION_MISMATCH: self = .versionMismatch
        case MDB_INVALID: self = .invalid
        case MDB_MAP_FULL: self = .mapFull
        case MDB_DBS_FULL: self = .databasesFull
        case MDB_READERS_FULL: self = .readersFull
        case MDB_TLS_FULL: self = .tlsFull
        case MDB_TXN_FULL: self = .transactionFull
        case MDB_CURSOR_FULL: self = .cursorFull
        case MDB_PAGE_FULL: self = .pageFull
        case MDB_MAP_RESIZED: self = .mapResized
        case MDB_INCOMPATIBLE: self = .incompatible
        case MDB_BAD_RSLOT: self = .badReaderSlot
        case MDB_BAD_TXN: self = .badTransaction
        case MDB_BAD_VALSIZE: self = .badValueSize
        case MDB_BAD_DBI: self = .badDatabase
        default: self = .system(code: code)
        }
    }

    public var code: Int32 {
        switch self {
        case .keyExists: return MDB_KEYEXIST
        case .notFound: return MDB_NOTFOUND
        case .pageNotFound: return MDB_PAGE_NOTFOUND
        case .corrupted: return MDB_CORRUPTED
        case .panic: return MDB_PANIC
        case .versionMismatch: return MDB_VERSION_MISMATCH
        case .invalid: return MDB_INVALID
        case .mapFull: return MDB_MAP_FULL
        case .databasesFull: return MDB_DBS_FULL
        case .readersFull: return MDB_READERS_FULL
        case .tlsFull: return MDB_TLS_FULL
        case .transactionFull: return MDB_TXN_FULL
        case .cursorFull: return MDB_CURSOR_FULL
        case .pageFull: return MDB_PAGE_FULL
        case .mapResized: return MDB_MAP_RESIZED
        case .incompatible: return MDB_INCOMPATIBLE
        case .badReaderSlot: return MDB_BAD_RSLOT
        case .badTransaction: return MDB_BAD_TXN
        case .badValueSize: return MDB_BAD_VALSIZE
        case .badDatabase: return MDB_BAD_DBI
        case .system(let code): return code
        }
    }

    public var description: String {
        "LMDB error \(code): " + String(cString: mdb_strerror(code))
    }

    /// Throws the error for a non-zero return code.
    @inlinable
    public static func check(_ rc: Int32) throws {
        if rc != 0 { throw LMDBError(code: rc) }
    }
}
