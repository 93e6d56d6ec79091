import Foundation
import LMDB
import Synchronization

/// An in-memory copy of one entity's row -> external id table, so that answers name their rows
/// without one LMDB B-tree lookup each (at 1M items that lookup was a third of a k = 500 search).
///
/// Sound because the table only grows: a row's id never changes once committed (rows are
/// assigned densely, never reused; a deleted row keeps its id). The cache holds a prefix of the
/// rows in chunks of `chunkRows`, each copied from a committed snapshot that holds the whole
/// chunk; rows past the prefix (the last, growing chunk) are read from LMDB as before. Chunks are
/// immutable once published and freed with the cache, so readers take no lock: one acquiring
/// load of the published count, then plain reads.
///
/// Memory: 8 bytes per row when every id of a chunk is a number, else 4 bytes plus the id's
/// UTF-8 bytes plus one.
public final class RowIDCache: @unchecked Sendable {
    static let chunkShift = 16
    public static let chunkRows = 1 << chunkShift
    private static let numberChunk: UInt64 = 1, keyChunk: UInt64 = 2
    private static let slots = 1 << (32 - chunkShift)

    let entity: Entity
    /// How many chunks are published: rows below `published * chunkRows` are cached.
    private let published = Atomic<Int>(0)
    /// One pointer per chunk (`slots`, zero pages until used); slot i is written before
    /// `published` passes i and never again.
    private let directory: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let building = Mutex<Void>(())
    /// Lookups that missed since the last try to extend (racy on purpose: a hint).
    private let misses = Atomic<Int>(0)
    private let bytes = Atomic<Int>(0)

    init(entity: Entity) {
        self.entity = entity
        directory = calloc(Self.slots, MemoryLayout<UnsafeMutableRawPointer?>.stride)!
            .bindMemory(to: UnsafeMutableRawPointer?.self, capacity: Self.slots)
    }

    deinit {
        for i in 0..<published.load(ordering: .acquiring) { free(directory[i]) }
        free(directory)
    }

    /// Rows whose ids are held in memory (a prefix of the rows).
    public var cachedRows: Int { published.load(ordering: .acquiring) << Self.chunkShift }

    /// Bytes the cached chunks take.
    public var memoryBytes: Int { bytes.load(ordering: .relaxed) }

    /// The cached id of `row`, or nil when `row` is past the cached prefix.
    @inline(__always)
    func id(ofRow row: UInt32) -> ExternalID? {
        let c = Int(row >> UInt32(Self.chunkShift))
        guard c < published.load(ordering: .acquiring), let chunk = directory[c] else { return nil }
        let i = Int(row) & (Self.chunkRows - 1)
        if chunk.load(as: UInt64.self) == Self.numberChunk {
            return .number(chunk.load(fromByteOffset: 8 + 8 * i, as: UInt64.self))
        }
        let offsets = chunk + 8
        let start = Int(offsets.load(fromByteOffset: 4 * i, as: UInt32.self))
        let end = Int(offsets.load(fromByteOffset: 4 * (i + 1), as: UInt32.self))
        let keys = offsets + 4 * (Self.chunkRows + 1)
        return KeyCodec.decodeExternalKey(UnsafeRawBufferPointer(start: keys + start, count: end - start))
    }

    /// Counts a lookup that `id(ofRow:)` could not answer; every 1,024th tries to extend the
    /// cache from `reader` (a read-only snapshot only: a write transaction's rows may be undone).
    func missed(_ reader: StoreReader) {
        let n = misses.load(ordering: .relaxed) + 1
        misses.store(n, ordering: .relaxed)
        guard n & 1023 == 0, reader.transaction.isReadOnly else { return }
        // A failure here only leaves the cache as it was; the caller reads LMDB, which reports it.
        _ = try? extend(reader)
    }

    /// Copies every chunk that `reader`'s snapshot holds whole and the cache does not yet, in
    /// row order. Returns the rows cached. `reader` must be read-only (committed data).
    @discardableResult
    public func extend(_ reader: StoreReader) throws -> Int {
        precondition(reader.transaction.isReadOnly, "RowIDCache is filled from committed snapshots only")
        let table = reader.store.table(.rows(entity))
        return try building.withLock { _ in
            var c = published.load(ordering: .relaxed)
            while c < Self.slots {
                let last = UInt32(truncatingIfNeeded: (c + 1) * Self.chunkRows - 1)
                let whole = try KeyCodec.withRowKey(last) { k in
                    try reader.transaction.withValue(forKey: k, in: table) { $0 != nil }
                }
                guard whole, let chunk = try copyChunk(c, reader: reader, table: table) else { break }
                directory[c] = chunk
                c += 1
                published.store(c, ordering: .releasing)
            }
            return c << Self.chunkShift
        }
    }

    /// One chunk of ids read by a cursor pass over its rows; nil when the rows are not the
    /// dense run they must be (a damaged table: lookups then go to LMDB, which reports it).
    private func copyChunk(_ c: Int, reader: StoreReader, table: Database) throws -> UnsafeMutableRawPointer? {
        let first = UInt32(truncatingIfNeeded: c * Self.chunkRows)
        var keys: [UInt8] = []
        keys.reserveCapacity(Self.chunkRows * 9)
        var offsets = [UInt32](repeating: 0, count: Self.chunkRows + 1)
        var numbers = true
        let complete = try reader.transaction.withCursor(table) { cursor -> Bool in
            var entry = try KeyCodec.withRowKey(first) { try cursor.seek(atLeast: $0) }
            for i in 0..<Self.chunkRows {
                guard let e = entry, KeyCodec.decodeRowKey(e.key) == first + UInt32(i),
                      KeyCodec.decodeExternalKey(e.value) != nil else { return false }
                numbers = numbers && e.value.count == 9 && e.value[0] == KeyCodec.numberTag
                keys.append(contentsOf: e.value)
                guard keys.count <= Int(UInt32.max) else { return false }
                offsets[i + 1] = UInt32(keys.count)
                entry = i + 1 < Self.chunkRows ? try cursor.next() : nil
            }
            return true
        }
        guard complete else { return nil }
        let size = numbers ? 8 + 8 * Self.chunkRows : 8 + 4 * (Self.chunkRows + 1) + keys.count
        let chunk = malloc(size)!
        if numbers {
            chunk.storeBytes(of: Self.numberChunk, as: UInt64.self)
            keys.withUnsafeBytes { k in
                for i in 0..<Self.chunkRows {
                    let be = UnsafeRawBufferPointer(rebasing: k[9 * i + 1 ..< 9 * i + 9]).loadUnaligned(as: UInt64.self)
                    chunk.storeBytes(of: UInt64(bigEndian: be), toByteOffset: 8 + 8 * i, as: UInt64.self)
                }
            }
        } else {
            chunk.storeBytes(of: Self.keyChunk, as: UInt64.self)
            offsets.withUnsafeBytes { (chunk + 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            keys.withUnsafeBytes { (chunk + 8 + 4 * (Self.chunkRows + 1)).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        bytes.store(bytes.load(ordering: .relaxed) + size, ordering: .relaxed)
        return chunk
    }
}
