/// Centroids as one-byte codes, for exact nearest-centroid searches at integer speed: every
/// centroid is scored from its codes against a point (AVX-512 VNNI, `BlockedCodes`), with a
/// bound on how far a code score can be from the float32 score, and only the centroids that
/// the bound cannot rule out (typically a handful of thousands) are scored again in float32.
/// `KMeansAssigner` takes the nearest this way (the float32 argmin, as its BLAS path computes
/// it, at about a third of the arithmetic); an IVF index ranks its lists with `codeScores`.
///
/// Bound: the codes come from a per-dimension quantizer trained on the centroids themselves
/// (nothing clipped), so `|x . c - x . c^| <= sum_j |x_j| step_j / 2`; the split of the point's
/// weights into two int8 parts adds its own exact error (`BlockedCodes.split`).
public final class CentroidCodes: @unchecked Sendable {
    public let dimension: Int
    public let count: Int
    public let metric: KMeansMetric
    private let codes: BlockedCodes
    private let quantizer: ScalarQuantizer
    private let centroids: [Float]
    /// `|c|^2` per centroid for L2 (the row terms of the code scores); empty for inner product.
    private let norms: [Float]
    private let largestNorm: Float

    /// Below this many centroids the BLAS path is as fast.
    public static let minimumCentroids = 64

    /// Whether the code path pays off on this machine: only with VNNI (the AVX2 and plain
    /// levels of the scan are slower than BLAS).
    public static var available: Bool { Kernels.u8s8Implementation == "vnni" }

    /// Codes of `count` row-major `centroids`; `norms` holds `|c|^2` of each (used by `.l2`).
    /// The centroids must be finite.
    public init(centroids: [Float], count: Int, dimension: Int, metric: KMeansMetric, norms: [Float]) {
        self.dimension = dimension
        self.count = count
        self.metric = metric
        self.centroids = centroids
        self.norms = metric == .l2 ? norms : []
        largestNorm = norms.max() ?? 0
        quantizer = centroids.withUnsafeBufferPointer { ScalarQuantizer(training: $0, dimension: dimension) }
        codes = BlockedCodes(dimension: dimension)
        codes.reserve(count)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: dimension) { row in
            centroids.withUnsafeBufferPointer { c in
                for i in 0..<count {
                    _ = quantizer.encode(c.baseAddress! + i * dimension, into: row.baseAddress!)
                    codes.set(i, codes: row.baseAddress!)
                }
            }
        }
    }

    /// One thread's scratch: the point's weights and int8 parts, code scores, survivors.
    public func makeScratch() -> BlockedQueryScratch { BlockedQueryScratch(dimension: dimension, rows: count) }

    /// Writes to `scratch.scores` a code score `v_i` for every centroid and returns the largest
    /// and a tolerance: a centroid can score at least as high in float32 (`2 x.c - |c|^2` for
    /// `.l2`, `x.c` for inner product) as any centroid with code score `v` only if its own code
    /// score is at least `v - tolerance`. Nil when `x` cannot be folded (a value not finite).
    public func codeScores(_ x: UnsafePointer<Float>, scratch: BlockedQueryScratch) -> (best: Float, tolerance: Float)? {
        let d = dimension, isL2 = metric == .l2
        let constant = quantizer.prepare(x, metric: .innerProduct, weights: scratch.weights)
        let (scale, splitError) = codes.split(scratch.weights, hi: scratch.hi, lo: scratch.lo)
        guard scale.isFinite, scale > 0, constant.isFinite else { return nil }
        // x . c = constant + scale * f + e, |e| <= E (codes and split); the code score is
        // v = f + alpha |c|^2, so the float32 score is `factor * scale * v` + a constant, within
        // `factor * E` of it: two scores' order is known once their v differ by 2 E / scale.
        var codeError: Float = 0
        for j in 0..<d { codeError += abs(scratch.weights[j]) }
        let error = (codeError * 0.5 + splitError) * 1.001
        let alpha: Float = isL2 ? -0.5 / scale : 0
        let best = norms.withUnsafeBufferPointer { n in
            codes.scores(hi: scratch.hi, lo: scratch.lo, rowTerms: isL2 ? n.baseAddress! : nil, alpha: alpha,
                         into: scratch.scores)
        }
        // Float rounding of the code scores: a few ulps of their magnitude.
        let rounding = 1e-5 * (abs(best) + abs(alpha) * largestNorm) + 2
        return (best, 2 * error / scale + rounding)
    }

    /// The nearest centroid of `x` and the value `KMeansAssigner.argmin` minimises for it
    /// (`|c|^2 - 2 x.c` for L2, `-x.c` for inner product); ties to the smaller centroid.
    func nearest(_ x: UnsafePointer<Float>, scratch: BlockedQueryScratch) -> (label: Int, value: Float) {
        guard let (best, tolerance) = codeScores(x, scratch: scratch) else { return exactNearest(x, among: nil, scratch: scratch) }
        let survivors = BlockedCodes.atLeast(scratch.scores, count: count, minScore: best - tolerance, into: scratch.passing)
        return exactNearest(x, among: survivors, scratch: scratch)
    }

    /// The float32 argmin over the survivors in `scratch.passing` (nil: over every centroid).
    private func exactNearest(_ x: UnsafePointer<Float>, among survivors: Int?, scratch: BlockedQueryScratch) -> (label: Int, value: Float) {
        let d = dimension, isL2 = metric == .l2
        var label = 0, value = Float.infinity
        centroids.withUnsafeBufferPointer { c in
            let n = survivors ?? count
            for s in 0..<n {
                let i = survivors == nil ? s : Int(scratch.passing[s])
                let dot = Kernels.dot(x, c.baseAddress! + i * d, count: d)
                let v = isL2 ? norms[i] - 2 * dot : -dot
                if v < value { value = v; label = i }
            }
        }
        return (label, value)
    }
}
