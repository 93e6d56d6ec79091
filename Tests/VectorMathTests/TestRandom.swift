/// SplitMix64: a small seeded generator so every test failure reproduces.
struct TestRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform floats in -1..<1.
    mutating func floats(_ count: Int) -> [Float] {
        (0..<count).map { _ in Float.random(in: -1..<1, using: &self) }
    }

    /// Small integers in `-limit...limit` as floats: sums of their products are exact in Float.
    mutating func smallIntegers(_ count: Int, limit: Int = 3) -> [Float] {
        (0..<count).map { _ in Float(Int.random(in: -limit...limit, using: &self)) }
    }
}
