import LMDB
import Store

/// The `ivf_*` databases of one store's environment, and typed access to their values. Handles
/// are plain numbers valid for the environment's life; every read goes through the caller's
/// transaction (a snapshot), so pointers handed to closures are valid only inside them.
public struct IVFTables: Sendable {
    public let meta: Database
    public let model: Database
    public let lists: Database
    public let assignments: Database

    /// Opens the tables; with `create` false, nil when the store holds no IVF index.
    public static func open(_ store: EmbeddingStore, create: Bool) throws -> IVFTables? {
        var handles: [IVFLayout.Table: Database] = [:]
        for table in IVFLayout.Table.allCases {
            do {
                handles[table] = try store.environment.openDatabase(table.rawValue, create: create)
            } catch LMDBError.notFound where !create {
                return nil
            } catch let error as LMDBError {
                throw IndexError.store(.lmdb(error, operation: "open table \(table.rawValue) in \(store.path)"))
            }
        }
        return IVFTables(meta: handles[.meta]!, model: handles[.model]!, lists: handles[.lists]!,
                         assignments: handles[.assignments]!)
    }

    // MARK: meta

    func metaValue<T: FixedWidthInteger>(_ key: IVFLayout.MetaKey, as type: T.Type, in txn: Transaction) throws -> T? {
        try Self.lmdb("read ivf_meta \(key.rawValue)") {
            try Array(key.rawValue.utf8).withUnsafeBytes { k in
                try txn.withValue(forKey: k, in: meta) { v -> T? in
                    guard let v else { return nil }
                    guard let x = KeyCodec.decode(T.self, v) else {
                        throw IndexError.corruptIndex(table: IVFLayout.Table.meta.rawValue,
                                                      reason: "\(key.rawValue) has \(v.count) bytes, expected \(MemoryLayout<T>.size)")
                    }
                    return x
                }
            }
        }
    }

    func requireMeta<T: FixedWidthInteger>(_ key: IVFLayout.MetaKey, as type: T.Type, in txn: Transaction) throws -> T {
        guard let value = try metaValue(key, as: type, in: txn) else {
            throw IndexError.corruptIndex(table: IVFLayout.Table.meta.rawValue, reason: "\(key.rawValue) missing")
        }
        return value
    }

    func putMeta<T: FixedWidthInteger>(_ key: IVFLayout.MetaKey, _ value: T, in txn: Transaction) throws {
        try Self.lmdb("write ivf_meta \(key.rawValue)") {
            try txn.put(KeyCodec.encode(value), forKey: Array(key.rawValue.utf8), in: meta)
        }
    }

    // MARK: model arrays

    /// Calls `body` with the bytes of a model array (in place), or nil when absent.
    func withModel<R>(_ key: IVFLayout.ModelKey, in txn: Transaction, _ body: (UnsafeRawBufferPointer?) throws -> R) throws -> R {
        try Self.lmdb("read ivf_model \(key.rawValue)") {
            try Array(key.rawValue.utf8).withUnsafeBytes { k in try txn.withValue(forKey: k, in: model, body) }
        }
    }

    /// A copy of a float model array of `expected` floats.
    func modelFloats(_ key: IVFLayout.ModelKey, expected: Int, in txn: Transaction) throws -> [Float] {
        try withModel(key, in: txn) { raw in
            guard let raw, raw.count == expected * 4 else {
                throw IndexError.corruptIndex(table: IVFLayout.Table.model.rawValue,
                                              reason: "\(key.rawValue) has \(raw?.count ?? 0) bytes, expected \(expected * 4)")
            }
            return (0..<expected).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        }
    }

    func putModel(_ key: IVFLayout.ModelKey, bytes: UnsafeRawBufferPointer, in txn: Transaction) throws {
        try Self.lmdb("write ivf_model \(key.rawValue)") {
            try Array(key.rawValue.utf8).withUnsafeBytes { k in try txn.put(bytes, forKey: k, in: model) }
        }
    }

    // MARK: lists

    /// Calls `body` with list `list` read in place (copied into `scratch` first when LMDB keeps
    /// it at an address that is not 4-byte aligned), or nil when the list is empty.
    func withList<R>(_ list: UInt32, dimension: Int, encoding: IVFEncoding, in txn: Transaction,
                     scratch: inout [UInt32], _ body: (IVFPostingList?) throws -> R) throws -> R {
        try Self.lmdb("read ivf_lists \(list)") {
            try KeyCodec.withRowKey(list) { k in
                try txn.withValue(forKey: k, in: lists) { raw -> R in
                    guard let raw else { return try body(nil) }
                    if let base = raw.baseAddress, Int(bitPattern: base) & 3 == 0 {
                        guard let view = IVFPostingList(raw, dimension: dimension, encoding: encoding) else {
                            throw IndexError.corruptIndex(table: IVFLayout.Table.lists.rawValue, reason: "list \(list): \(raw.count) bytes do not match its count")
                        }
                        return try body(view)
                    }
                    let words = (raw.count + 3) / 4
                    if scratch.count < words { scratch = [UInt32](repeating: 0, count: words) }
                    return try scratch.withUnsafeMutableBytes { copy in
                        copy.copyMemory(from: raw)
                        guard let view = IVFPostingList(UnsafeRawBufferPointer(rebasing: copy[0 ..< raw.count]),
                                                        dimension: dimension, encoding: encoding) else {
                            throw IndexError.corruptIndex(table: IVFLayout.Table.lists.rawValue, reason: "list \(list): \(raw.count) bytes do not match its count")
                        }
                        return try body(view)
                    }
                }
            }
        }
    }

    /// Runs an LMDB call, turning its error into `IndexError.store(.lmdb(...))`. MDB_MAP_FULL
    /// passes through unchanged so that a write transaction can grow the map and retry.
    static func lmdb<R>(_ operation: @autoclosure () -> String, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as LMDBError {
            if error == .mapFull { throw error }
            throw IndexError.store(.lmdb(error, operation: operation()))
        }
    }
}
