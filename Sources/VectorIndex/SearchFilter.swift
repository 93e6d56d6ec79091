import VectorMath

/// Which item rows a search may return: the one predicate type every index evaluates during
/// its traversal or scan. Requests build it from categories, explicit id lists and the user's
/// history; indexes only ask `accepts(_:)` and `passing(outOf:)`.
public struct SearchFilter: Sendable, Equatable {
    /// When set, only these rows (category include lists, explicit allow lists).
    public var allowed: RowBitmap?
    /// Never these rows (items seen by the user, explicit excludes, the query item itself).
    public var excluded: RowBitmap?

    public init(allowed: RowBitmap? = nil, excluded: RowBitmap? = nil) {
        self.allowed = allowed
        self.excluded = excluded
    }

    /// A filter that excludes `rows`.
    public static func excluding<S: Sequence>(_ rows: S) -> SearchFilter where S.Element == UInt32 {
        SearchFilter(excluded: RowBitmap(rows))
    }

    /// Narrows the filter to rows that are also in `rows` (the allowed set becomes its
    /// intersection with `rows`, or `rows` when there was none).
    public mutating func allow(only rows: RowBitmap) {
        if allowed != nil { allowed!.formIntersection(rows) } else { allowed = rows }
    }

    /// Excludes `rows` too.
    public mutating func exclude(_ rows: RowBitmap) {
        if excluded != nil { excluded!.formUnion(rows) } else { excluded = rows }
    }

    /// True when the filter lets every row through.
    public var isEmpty: Bool { allowed == nil && (excluded?.count ?? 0) == 0 }

    @inlinable
    public func accepts(_ row: UInt32) -> Bool {
        if let allowed, !allowed.contains(row) { return false }
        if let excluded, excluded.contains(row) { return false }
        return true
    }

    /// An upper bound on the rows that pass among `total` (for choosing exact search when few do).
    public func passing(outOf total: Int) -> Int {
        min(total, allowed?.count ?? total)
    }
}
