/// Query preparation: the quantizer's scale and offset are folded into the query once, so that
/// scoring a row is one `Kernels.u8Dot` plus a constant (minus the row's stored squared norm
/// for L2).
///
/// With `w = weights`, `c = constant` and `x^` the decoded row:
/// - `.innerProduct`, `.cosine`: `w[j] = q[j] * step[j]`, `c = q . lower`, score `= u8Dot(w, codes)
///   + c = q . x^`;
/// - `.l2`: `w[j] = 2 q[j] step[j]`, `c = 2 q . lower - |q|^2`, score `= u8Dot(w, codes) + c -
///   |x^|^2 = -|q - x^|^2` (higher is better, as everywhere in the project; `|x^|^2` is the value
///   `encode` returned for the row).
extension ScalarQuantizer {
    /// A query folded into the quantizer's frame (see the extension's comment).
    public struct PreparedQuery: Sendable {
        public let metric: Metric
        /// Per-dimension weights for `Kernels.u8Dot`.
        public var weights: [Float]
        /// Added to every row's weighted code sum.
        public var constant: Float

        /// The score of one encoded row (`rowSquaredNorm` is used by `.l2` only).
        @inlinable
        public func score(_ codes: UnsafePointer<UInt8>, rowSquaredNorm: Float = 0) -> Float {
            let sum = weights.withUnsafeBufferPointer { w in
                Kernels.u8Dot(w.baseAddress!, codes, count: w.count)
            }
            return metric == .l2 ? sum + constant - rowSquaredNorm : sum + constant
        }

        /// `out[i]` = the score of row `base + ids[i] * stride` (`stride` in bytes). For `.l2`,
        /// `squaredNorms[ids[i]]` is that row's decoded squared norm (required).
        @inlinable
        public func scoreGather(base: UnsafePointer<UInt8>, stride: Int, ids: UnsafePointer<UInt32>, count: Int,
                                squaredNorms: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
            weights.withUnsafeBufferPointer { w in
                Kernels.u8DotGather(w.baseAddress!, base: base, stride: stride, ids: ids, count: count,
                                    dimension: w.count, into: out)
            }
            ScalarQuantizer.finishScores(metric: metric, constant: constant, ids: ids, count: count,
                                   squaredNorms: squaredNorms, scores: out)
        }
    }

    /// Adds the constant (and for `.l2` subtracts each row's squared norm) to gathered sums.
    @inlinable
    public static func finishScores(metric: Metric, constant: Float, ids: UnsafePointer<UInt32>, count: Int,
                              squaredNorms: UnsafePointer<Float>?, scores: UnsafeMutablePointer<Float>) {
        if metric == .l2 {
            guard let norms = squaredNorms else {
                preconditionFailure("ScalarQuantizer: l2 scores need the rows' squared norms")
            }
            for i in 0..<count { scores[i] = scores[i] + constant - norms[Int(ids[i])] }
        } else {
            for i in 0..<count { scores[i] += constant }
        }
    }

    /// Folds `query` (`dimension` floats) into `weights` (`dimension` floats, caller-owned:
    /// nothing is allocated) and returns the constant.
    @inlinable
    public func prepare(_ query: UnsafePointer<Float>, metric: Metric,
                        weights: UnsafeMutablePointer<Float>) -> Float {
        let factor: Float = metric == .l2 ? 2 : 1
        var offset: Double = 0, queryNorm: Double = 0
        for j in 0..<dimension {
            let q = query[j]
            weights[j] = factor * q * step[j]
            offset += Double(q) * Double(lower[j])
            queryNorm += Double(q) * Double(q)
        }
        return metric == .l2 ? Float(2 * offset - queryNorm) : Float(offset)
    }

    /// Folds `query` into a new `PreparedQuery` (allocates its weights; see the pointer form).
    public func prepare(_ query: UnsafeBufferPointer<Float>, metric: Metric) -> PreparedQuery {
        precondition(query.count == dimension,
                     "ScalarQuantizer.prepare: query has \(query.count) values, expected \(dimension)")
        var constant: Float = 0
        let weights = [Float](unsafeUninitializedCapacity: dimension) { buffer, initialized in
            constant = prepare(query.baseAddress!, metric: metric, weights: buffer.baseAddress!)
            initialized = dimension
        }
        return PreparedQuery(metric: metric, weights: weights, constant: constant)
    }

    /// Array form of `prepare(_:metric:)`.
    public func prepare(_ query: [Float], metric: Metric) -> PreparedQuery {
        query.withUnsafeBufferPointer { prepare($0, metric: metric) }
    }
}
