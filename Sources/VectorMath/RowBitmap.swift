/// A set of item rows as one bit per row: the form every filter takes during a search, so a
/// test is one load and one mask, whatever the predicate was (categories, id lists, history).
public struct RowBitmap: Sendable, Equatable {
    @usableFromInline var words: [UInt64]
    /// Rows in the set.
    public private(set) var count: Int

    /// An empty set able to hold rows `0 ..< capacity` (it grows if a larger row is inserted).
    public init(capacity: Int = 0) {
        words = [UInt64](repeating: 0, count: (capacity + 63) / 64)
        count = 0
    }

    public init<S: Sequence>(_ rows: S, capacity: Int = 0) where S.Element == UInt32 {
        self.init(capacity: capacity)
        for r in rows { insert(r) }
    }

    @inlinable
    public func contains(_ row: UInt32) -> Bool {
        let w = Int(row >> 6)
        return w < words.count && words[w] & (1 << UInt64(row & 63)) != 0
    }

    /// Inserts `row`; returns false when it was already there.
    @discardableResult
    public mutating func insert(_ row: UInt32) -> Bool {
        let w = Int(row >> 6), bit = UInt64(1) << UInt64(row & 63)
        if w >= words.count { words += repeatElement(0, count: max(w + 1 - words.count, words.count)) }
        if words[w] & bit != 0 { return false }
        words[w] |= bit
        count += 1
        return true
    }

    /// Removes `row`; returns false when it was not there.
    @discardableResult
    public mutating func remove(_ row: UInt32) -> Bool {
        let w = Int(row >> 6), bit = UInt64(1) << UInt64(row & 63)
        guard w < words.count, words[w] & bit != 0 else { return false }
        words[w] &= ~bit
        count -= 1
        return true
    }

    public mutating func formUnion(_ other: RowBitmap) {
        if other.words.count > words.count { words += repeatElement(0, count: other.words.count - words.count) }
        count = 0
        for i in words.indices {
            if i < other.words.count { words[i] |= other.words[i] }
            count += words[i].nonzeroBitCount
        }
    }

    public mutating func formIntersection(_ other: RowBitmap) {
        count = 0
        for i in words.indices {
            words[i] &= i < other.words.count ? other.words[i] : 0
            count += words[i].nonzeroBitCount
        }
    }

    /// The rows in increasing order.
    public var rows: [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(count)
        for (i, var word) in words.enumerated() {
            while word != 0 {
                out.append(UInt32(i * 64 + word.trailingZeroBitCount))
                word &= word - 1
            }
        }
        return out
    }
}
