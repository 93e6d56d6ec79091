/// Binary search for sorted data.
extension RandomAccessCollection where Index == Int {
    /// The first index at which `isBefore` fails, for a predicate that holds on a prefix of the
    /// collection and fails on the rest (a lower bound: `rows.partitionPoint { $0 < row }`).
    @inlinable
    public func partitionPoint(_ isBefore: (Element) throws -> Bool) rethrows -> Int {
        var lo = startIndex, hi = endIndex
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if try isBefore(self[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
