/// One interaction of a user with an item. Stored as 16 bytes, little-endian:
/// `i64 timestamp | u32 item row | u32 reserved (0)`, entries sorted by (timestamp, item).
public struct HistoryEntry: Equatable, Hashable, Sendable, Comparable {
    /// Seconds since the Unix epoch; `unknownTime` when the source gave none.
    public var timestamp: Int64
    public var item: UInt32

    public static let unknownTime = Int64.min
    /// The times a timestamp may hold, in seconds since 1970: 0001-01-01T00:00:00Z through
    /// 9999-12-31T23:59:59Z (epoch milliseconds of any recent date fall outside, so they are
    /// refused instead of read as seconds thousands of years ahead).
    public static let validTimes: ClosedRange<Int64> = -62_135_596_800 ... 253_402_300_799
    public static let encodedSize = 16

    public init(item: UInt32, timestamp: Int64 = HistoryEntry.unknownTime) {
        self.item = item
        self.timestamp = timestamp
    }

    public static func < (a: HistoryEntry, b: HistoryEntry) -> Bool {
        (a.timestamp, a.item) < (b.timestamp, b.item)
    }
}

/// A zero-copy view of a user's stored history (valid inside the read that produced it).
public struct HistoryView: RandomAccessCollection {
    public let bytes: UnsafeRawBufferPointer

    public var startIndex: Int { 0 }
    public var endIndex: Int { bytes.count / HistoryEntry.encodedSize }

    @inlinable
    public subscript(i: Int) -> HistoryEntry {
        let at = i * HistoryEntry.encodedSize
        return HistoryEntry(item: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 8, as: UInt32.self)),
                            timestamp: Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int64.self)))
    }

    /// The item rows, in stored (time) order.
    public var items: [UInt32] { map(\.item) }

    static func encode(_ entries: [HistoryEntry]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entries.count * HistoryEntry.encodedSize)
        for e in entries {
            out += KeyCodec.encode(e.timestamp)
            out += KeyCodec.encode(e.item)
            out += KeyCodec.encode(UInt32(0))
        }
        return out
    }
}
