import Foundation

/// A small, fast, reproducible random number generator: xoshiro256** seeded through SplitMix64.
///
/// Every generated dataset in this project derives from one `UInt64` seed. The algorithms here
/// (including `next(below:)`, `nextGaussian()` and `shuffle`) are written out rather than taken
/// from the standard library, so the numbers do not change with the Swift version.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64
    /// The second value of the last Marsaglia polar pair, if not yet handed out.
    @usableFromInline var spareGaussian: Double = 0
    @usableFromInline var hasSpareGaussian = false

    /// A generator whose whole sequence is fixed by `seed`.
    public init(seed: UInt64) {
        var mixer = SplitMix64(state: seed)
        s0 = mixer.next()
        s1 = mixer.next()
        s2 = mixer.next()
        s3 = mixer.next()
    }

    /// A generator started from a raw xoshiro256** state (not all zero), e.g. a published test vector.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "the all-zero xoshiro state repeats zeros forever")
        (s0, s1, s2, s3) = state
    }

    /// An independent generator for sub-sequence `stream` of `seed` (one per row, per user, ...),
    /// so that parallel or chunked generation gives the same numbers as sequential generation.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: SplitMix64.mix(seed) ^ SplitMix64.mix(stream &+ 0x632B_E59B_D9B4_E019))
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = (s1 &* 5).rotatedLeft(by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3.rotatedLeft(by: 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [0, 1) with 24 random bits.
    @inlinable
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * 0x1.0p-24
    }

    /// Uniform in `0..<bound` without modulo bias (Lemire's multiply-and-reject). `bound` > 0.
    @inlinable
    public mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "next(below:) needs a positive bound, got \(bound)")
        let n = UInt64(bound)
        var product = next().multipliedFullWidth(by: n)
        if product.low < n {
            let threshold = (0 &- n) % n
            while product.low < threshold {
                product = next().multipliedFullWidth(by: n)
            }
        }
        return Int(product.high)
    }

    /// Standard normal (mean 0, deviation 1) by the Marsaglia polar method; the second value of
    /// each pair is kept for the next call.
    @inlinable
    public mutating func nextGaussian() -> Double {
        if hasSpareGaussian {
            hasSpareGaussian = false
            return spareGaussian
        }
        while true {
            let u = 2 * nextDouble() - 1
            let v = 2 * nextDouble() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let factor = (-2 * log(s) / s).squareRoot()
                spareGaussian = v * factor
                hasSpareGaussian = true
                return u * factor
            }
        }
    }

    /// `exp(sigma * N(0, 1))`: a log-normal factor with median 1.
    @inlinable
    public mutating func nextLogNormal(sigma: Double) -> Double {
        exp(sigma * nextGaussian())
    }

    /// True with probability `p`.
    @inlinable
    public mutating func nextBool(probability p: Double) -> Bool {
        nextDouble() < p
    }

    /// Fisher-Yates shuffle in place.
    public mutating func shuffle<T>(_ elements: inout [T]) {
        var i = elements.count
        while i > 1 {
            let j = next(below: i)
            i -= 1
            elements.swapAt(i, j)
        }
    }

    /// A permutation of `0..<count` fixed by `seed`.
    public static func permutation(count: Int, seed: UInt64) -> [Int] {
        var rng = SeededRandom(seed: seed)
        var result = Array(0..<count)
        rng.shuffle(&result)
        return result
    }

    /// `count` distinct values from `0..<range`, uniformly chosen, in no set order (Floyd's algorithm for small
    /// samples, a partial shuffle otherwise).
    public mutating func sample(_ count: Int, from range: Int) -> [Int] {
        let count = min(count, range)
        if count * 4 >= range {
            var all = Array(0..<range)
            for i in 0..<count {
                all.swapAt(i, i + next(below: range - i))
            }
            return Array(all.prefix(count))
        }
        var chosen = Set<Int>(minimumCapacity: count)
        var result: [Int] = []
        result.reserveCapacity(count)
        for j in (range - count)..<range {
            let t = next(below: j + 1)
            let pick = chosen.contains(t) ? j : t
            chosen.insert(pick)
            result.append(pick)
        }
        return result
    }
}

/// SplitMix64: expands one seed into the 256-bit xoshiro state and mixes stream numbers.
@usableFromInline
struct SplitMix64 {
    @usableFromInline var state: UInt64

    @usableFromInline
    init(state: UInt64) { self.state = state }

    @usableFromInline
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    @usableFromInline
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension UInt64 {
    @inlinable
    func rotatedLeft(by k: UInt64) -> UInt64 {
        (self << k) | (self >> (64 &- k))
    }
}
