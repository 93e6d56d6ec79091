import Foundation

/// A seeded Gaussian-mixture embedding set (see `ClusteredSpec`). Row `i` depends only on the
/// spec and `i`, so rows can be produced in any order, in parallel or in chunks, with the same
/// bytes: `generate()`, `generate(rows:into:)` and `forEachChunk` agree exactly.
///
/// Row i: pick cluster k (Zipf shares), then `x = s_i * (c_k + noise * scale ⊙ g)` with
/// `g ~ N(0, I)`, `s_i` log-normal, `c_k` a random direction shaped by the spectrum with a
/// log-normal norm.
public struct ClusteredEmbeddings: Sendable {
    public let spec: ClusteredSpec
    /// Cluster centres, `clusters x dimension`, row-major.
    public let centres: [Float]
    /// Expected share of rows in each cluster. Cluster ids are a seeded shuffle of the Zipf
    /// ranks, so id 0 is not the largest.
    public let clusterProbabilities: [Double]
    /// Scale of each dimension (`(j + 1)^-spectrumDecay`, unit sum of squares).
    public let dimensionScales: [Float]
    let picker: ZipfDistribution

    /// Stream numbers that keep the model, the rows and the queries apart.
    static let modelStream = UInt64.max
    static let queryStreamBit: UInt64 = 1 << 63

    /// Draws the mixture (centres, cluster shares, spectrum) from `spec.seed`.
    /// Throws `TestSupportError.invalidParameter` for a spec out of range.
    public init(spec: ClusteredSpec) throws {
        try spec.validate()
        self.spec = spec
        let d = spec.dimension
        var rng = SeededRandom(seed: spec.seed, stream: Self.modelStream)

        let raw = (0..<d).map { pow(Double($0 + 1), -spec.spectrumDecay) }
        let energy = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let scales = raw.map { $0 / energy }
        dimensionScales = scales.map { Float($0) }

        var idOfRank = Array(0..<spec.clusters)
        rng.shuffle(&idOfRank)
        var weights = [Double](repeating: 0, count: spec.clusters)
        for (rank, id) in idOfRank.enumerated() {
            weights[id] = pow(Double(rank + 1), -spec.zipfExponent)
        }
        picker = ZipfDistribution(weights: weights)
        clusterProbabilities = picker.probabilities

        var centres = [Float](repeating: 0, count: spec.clusters * d)
        var direction = [Double](repeating: 0, count: d)
        for k in 0..<spec.clusters {
            var norm2 = 0.0
            for j in 0..<d {
                direction[j] = rng.nextGaussian() * scales[j]
                norm2 += direction[j] * direction[j]
            }
            let length = rng.nextLogNormal(sigma: spec.centreNormSpread) / max(norm2.squareRoot(), .leastNormalMagnitude)
            for j in 0..<d { centres[k * d + j] = Float(direction[j] * length) }
        }
        self.centres = centres
    }

    public var dimension: Int { spec.dimension }
    public var count: Int { spec.count }

    /// The cluster of row `row` (the first draw of the row's own generator).
    public func cluster(ofRow row: Int) -> Int {
        var rng = SeededRandom(seed: spec.seed, stream: UInt64(row))
        return picker.sample(using: &rng)
    }

    /// The cluster of every row, in row order.
    public func clusterAssignments() -> [UInt32] {
        [UInt32](unsafeUninitializedCapacity: spec.count) { buffer, initialized in
            let base = buffer.baseAddress
            Self.parallelRanges(spec.count, grain: 65_536) { range in
                for row in range { (base! + row).initialize(to: UInt32(cluster(ofRow: row))) }
            }
            initialized = spec.count
        }
    }

    /// All rows, `count x dimension`, row-major.
    public func generate() -> [Float] {
        let total = spec.count * spec.dimension
        return [Float](unsafeUninitializedCapacity: total) { buffer, initialized in
            buffer.initialize(repeating: 0)
            generate(rows: 0..<spec.count, into: buffer)
            initialized = total
        }
    }

    /// Writes rows `rows` into `values` (`rows.count * dimension` floats) and, if given, their
    /// clusters into `clusters` (`rows.count` entries). Runs on all cores.
    public func generate(rows: Range<Int>, into values: UnsafeMutableBufferPointer<Float>,
                         clusters: UnsafeMutableBufferPointer<UInt32>? = nil) {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= spec.count, "rows \(rows) outside 0..<\(spec.count)")
        fill(seed: spec.seed, streamBit: 0, rows: rows, into: values, clusters: clusters)
    }

    /// Produces the rows chunk by chunk, reusing one buffer, so that a set larger than memory
    /// can be streamed to a file. `body` gets the row range and its values (row-major); the
    /// buffer is valid only during the call.
    public func forEachChunk(rowsPerChunk: Int = 16_384,
                             _ body: (_ rows: Range<Int>, _ values: UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        precondition(rowsPerChunk > 0, "rowsPerChunk must be positive, got \(rowsPerChunk)")
        let d = spec.dimension
        let chunk = UnsafeMutableBufferPointer<Float>.allocate(capacity: min(rowsPerChunk, max(spec.count, 1)) * d)
        defer { chunk.deallocate() }
        var start = 0
        while start < spec.count {
            let rows = start..<min(spec.count, start + rowsPerChunk)
            let slice = UnsafeMutableBufferPointer(rebasing: chunk[0..<(rows.count * d)])
            generate(rows: rows, into: slice)
            try body(rows, UnsafeBufferPointer(slice))
            start = rows.upperBound
        }
    }

    /// `count` query vectors from the same mixture, with their own seed (a query seed equal to
    /// the spec's seed still gives rows different from the data).
    public func queries(count: Int, seed: UInt64) -> [Float] {
        let total = count * spec.dimension
        return [Float](unsafeUninitializedCapacity: total) { buffer, initialized in
            buffer.initialize(repeating: 0)
            fill(seed: seed, streamBit: Self.queryStreamBit, rows: 0..<count, into: buffer, clusters: nil)
            initialized = total
        }
    }

    private func fill(seed: UInt64, streamBit: UInt64, rows: Range<Int>, into values: UnsafeMutableBufferPointer<Float>,
                      clusters: UnsafeMutableBufferPointer<UInt32>?) {
        let d = spec.dimension
        precondition(values.count >= rows.count * d, "buffer holds \(values.count) floats; \(rows.count * d) needed")
        precondition(clusters == nil || clusters!.count >= rows.count, "cluster buffer too small")
        let out = values.baseAddress
        let clusterOut = clusters?.baseAddress
        let noise = spec.noise
        let itemSpread = spec.itemNormSpread
        centres.withUnsafeBufferPointer { centres in
            dimensionScales.withUnsafeBufferPointer { scales in
                Self.parallelRanges(rows.count, grain: 512) { local in
                    for offset in local {
                        var rng = SeededRandom(seed: seed, stream: UInt64(rows.lowerBound + offset) | streamBit)
                        let k = picker.sample(using: &rng)
                        let s = rng.nextLogNormal(sigma: itemSpread)
                        let row = out! + offset * d
                        let centre = centres.baseAddress! + k * d
                        for j in 0..<d {
                            let value = Double(centre[j]) + noise * Double(scales[j]) * rng.nextGaussian()
                            row[j] = Float(s * value)
                        }
                        clusterOut?[offset] = UInt32(k)
                    }
                }
            }
        }
    }

    /// Runs `body` over pieces of `0..<count` on all cores.
    static func parallelRanges(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        if count <= grain {
            if count > 0 { body(0..<count) }
            return
        }
        let pieces = (count + grain - 1) / grain
        DispatchQueue.concurrentPerform(iterations: pieces) { p in
            body((p * grain)..<min(count, (p + 1) * grain))
        }
    }
}
