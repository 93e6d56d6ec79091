/// The seeded generator of k-means and of the IVF build's sampling (SplitMix64): a fixed seed
/// gives the same sequence on every platform and Swift version.
public struct KMeansRandom: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0 ..< bound` (bound > 0), by rejection so every value is equally likely.
    public mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "KMeansRandom.next(below:): bound must be positive")
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let x = next()
            if x < limit { return x % bound }
        }
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// `count` distinct numbers drawn uniformly from `0 ..< population`, in increasing order
    /// (all of them when `count >= population`).
    public mutating func sample(_ count: Int, from population: Int) -> [Int] {
        guard count < population else { return Array(0..<max(0, population)) }
        // Floyd's algorithm: `count` draws, no array of the whole population.
        var chosen = Set<Int>(minimumCapacity: count)
        for j in (population - count) ..< population {
            let t = Int(next(below: UInt64(j + 1)))
            if !chosen.insert(t).inserted { chosen.insert(j) }
        }
        return chosen.sorted()
    }
}
