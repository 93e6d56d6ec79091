/// One thread's scratch for scanning `BlockedCodes` (or blocks held elsewhere) with one query:
/// the query's float weights, its two int8 parts (`BlockedCodes.split`), and room for the rows
/// that pass and for per-row scores. Reused query after query; grows only with the row count.
public final class BlockedQueryScratch {
    public let weights: UnsafeMutablePointer<Float>
    public let hi: UnsafeMutablePointer<Int8>
    public let lo: UnsafeMutablePointer<Int8>
    /// Room for `capacity` rows.
    public private(set) var passing: UnsafeMutablePointer<UInt32>
    /// Room for `capacity` rows rounded up to 16 (what `BlockedCodes.scores` writes).
    public private(set) var scores: UnsafeMutablePointer<Float>
    private var capacity = 0

    public init(dimension: Int, rows: Int = 0) {
        let padded = (dimension + 3) / 4 * 4
        weights = .allocate(capacity: dimension)
        weights.initialize(repeating: 0, count: dimension)
        hi = .allocate(capacity: padded)
        hi.initialize(repeating: 0, count: padded)
        lo = .allocate(capacity: padded)
        lo.initialize(repeating: 0, count: padded)
        passing = .allocate(capacity: 1)
        scores = .allocate(capacity: 16)
        reserve(rows: rows)
    }

    deinit {
        weights.deallocate()
        hi.deallocate()
        lo.deallocate()
        passing.deallocate()
        scores.deallocate()
    }

    /// Room for `rows` rows (grows by at least half when it grows).
    public func reserve(rows: Int) {
        guard rows > capacity else { return }
        capacity = max(rows, capacity + capacity / 2)
        passing.deallocate()
        passing = .allocate(capacity: capacity)
        scores.deallocate()
        scores = .allocate(capacity: (capacity + 15) / 16 * 16)
    }
}
