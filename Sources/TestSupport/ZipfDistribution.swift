import Foundation

/// Ranks `0..<count` drawn with probability proportional to `(rank + 1)^-exponent`.
/// Sampling is a binary search over the cumulative weights.
public struct ZipfDistribution: Sendable {
    /// Probability of each rank; sums to 1.
    public let probabilities: [Double]
    @usableFromInline let cumulative: [Double]

    /// `count` > 0 ranks; `exponent` >= 0 (0 is uniform).
    public init(count: Int, exponent: Double) {
        precondition(count > 0, "ZipfDistribution needs at least one rank, got \(count)")
        self.init(weights: (0..<count).map { pow(Double($0 + 1), -exponent) })
    }

    /// Any non-negative weights with a positive sum.
    public init(weights: [Double]) {
        let total = weights.reduce(0, +)
        precondition(total > 0 && weights.allSatisfy { $0 >= 0 }, "weights must be non-negative with a positive sum")
        probabilities = weights.map { $0 / total }
        var running = 0.0
        var cumulative = [Double]()
        cumulative.reserveCapacity(weights.count)
        for p in probabilities {
            running += p
            cumulative.append(running)
        }
        cumulative[cumulative.count - 1] = 1
        self.cumulative = cumulative
    }

    public var count: Int { probabilities.count }

    /// One rank.
    @inlinable
    public func sample(using rng: inout SeededRandom) -> Int {
        let u = rng.nextDouble()
        var lo = 0
        var hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) >> 1
            if cumulative[mid] > u { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
