import Foundation

/// Request latencies in log-spaced buckets: bucket `i` holds durations up to 2^(i/4)
/// microseconds (about 19% wide), the last one everything longer. Fixed size, no allocation
/// when recording; percentiles are read within a bucket's width.
public struct LatencyHistogram: Sendable, Equatable {
    /// 2^(111/4) µs is about 3.8 minutes.
    public static let bucketCount = 112
    public private(set) var buckets: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var sumSeconds: Double = 0
    public private(set) var maxSeconds: Double = 0

    public init() {
        buckets = [UInt64](repeating: 0, count: Self.bucketCount)
    }

    /// A histogram from bucket counts (e.g. a stats reply); sum and max as given.
    public init(buckets counts: [UInt64], sumSeconds: Double, maxSeconds: Double) {
        self.init()
        for (i, c) in counts.prefix(Self.bucketCount).enumerated() {
            buckets[i] = c
            count += c
        }
        self.sumSeconds = sumSeconds
        self.maxSeconds = maxSeconds
    }

    /// Upper bound of bucket `i`, in seconds.
    @inlinable
    public static func upperBound(_ i: Int) -> Double {
        exp2(Double(i) / 4) * 1e-6
    }

    /// The bucket a duration falls in.
    @inlinable
    public static func bucket(seconds: Double) -> Int {
        let micros = seconds * 1e6
        guard micros > 1 else { return 0 }
        let i = Int((4 * log2(micros)).rounded(.up))
        return min(i, bucketCount - 1)
    }

    public mutating func record(seconds: Double) {
        let s = seconds.isFinite && seconds > 0 ? seconds : 0
        buckets[Self.bucket(seconds: s)] += 1
        count += 1
        sumSeconds += s
        if s > maxSeconds { maxSeconds = s }
    }

    public mutating func merge(_ other: LatencyHistogram) {
        for i in 0..<Self.bucketCount { buckets[i] += other.buckets[i] }
        count += other.count
        sumSeconds += other.sumSeconds
        maxSeconds = max(maxSeconds, other.maxSeconds)
    }

    /// The `q`-quantile (0...1) in seconds: interpolated inside its bucket (geometrically),
    /// never above the largest value seen. 0 when empty.
    public func quantile(_ q: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = max(1, (q * Double(count)).rounded(.up))
        var seen: Double = 0
        for i in 0..<Self.bucketCount where buckets[i] > 0 {
            let c = Double(buckets[i])
            if seen + c >= rank {
                let upper = Self.upperBound(i)
                let lower = i == 0 ? 0 : Self.upperBound(i - 1)
                let fraction = (rank - seen) / c
                let value = lower == 0 ? upper * fraction : lower * pow(upper / lower, fraction)
                return min(value, maxSeconds)
            }
            seen += c
        }
        return maxSeconds
    }

    /// Bucket counts without the trailing empty buckets (what a stats reply carries).
    public var trimmedBuckets: [UInt64] {
        guard let last = buckets.lastIndex(where: { $0 != 0 }) else { return [] }
        return Array(buckets[...last])
    }
}
