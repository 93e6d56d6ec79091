import Foundation

/// How evenly the rows of an IVF index spread over its lists. A query's cost follows the sizes
/// of the lists it probes, so a few huge lists make some queries slow whatever `nprobe`.
public struct IVFBalance: Sendable, Equatable {
    public var lists: Int
    public var emptyLists: Int
    public var rows: Int
    public var smallest: Int
    public var largest: Int
    public var mean: Double
    /// Standard deviation of the list sizes over their mean.
    public var variation: Double
    /// `lists * sum(n_l^2) / rows^2`: 1 when every list holds the same number of rows; the
    /// factor by which a probe scans more rows than with equal lists (FAISS reports the same).
    public var imbalance: Double
    /// Sizes at the 50th, 90th and 99th percentiles.
    public var median: Int
    public var p90: Int
    public var p99: Int

    public init(sizes: [Int]) {
        lists = sizes.count
        emptyLists = sizes.filter { $0 == 0 }.count
        rows = sizes.reduce(0, +)
        let sorted = sizes.sorted()
        smallest = sorted.first ?? 0
        largest = sorted.last ?? 0
        mean = lists > 0 ? Double(rows) / Double(lists) : 0
        let squares = sizes.reduce(0.0) { $0 + Double($1) * Double($1) }
        let variance = lists > 0 ? squares / Double(lists) - mean * mean : 0
        variation = mean > 0 ? max(0, variance).squareRoot() / mean : 0
        imbalance = rows > 0 ? Double(lists) * squares / (Double(rows) * Double(rows)) : 1
        func percentile(_ p: Double) -> Int {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))]
        }
        median = percentile(0.5)
        p90 = percentile(0.9)
        p99 = percentile(0.99)
    }

    /// One line for people, e.g. `4000 lists, 1000000 rows: sizes 12...2104 (median 201, ...)`.
    public var summary: String {
        "\(lists) lists (\(emptyLists) empty), \(rows) rows: sizes \(smallest)...\(largest), median \(median), p90 \(p90), p99 \(p99), "
            + "mean \(Self.fixed(mean, 1)), variation \(Self.fixed(variation, 2)), imbalance factor \(Self.fixed(imbalance, 3))"
    }

    static func fixed(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
}
