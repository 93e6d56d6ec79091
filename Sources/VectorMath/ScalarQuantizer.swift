/// Per-dimension 8-bit scalar quantizer: float queries are scored against uint8 codes
/// (asymmetric), four times smaller than float32 rows.
///
/// Dimension `j` maps `lower[j] ... upper[j]` onto the codes 0...255 with `step[j] =
/// (upper[j] - lower[j]) / 255`: `code = round((x - lower) / step)` clamped to 0...255, and the
/// decoded value is `lower + code * step`.
///
/// Error bounds (up to float rounding, a few ulps):
/// - a component inside its range decodes within `step[j] / 2`; one outside is clamped to the
///   nearer end (its error is its distance to the range, plus at most `step[j] / 2`);
/// - inner product: `|q.x - q.x^| <= sum_j |q[j]| * step[j] / 2`;
/// - squared L2: `| |q - x^|^2 - |q - x|^2 | <= sum_j step[j] * |q[j] - x[j]| + step[j]^2 / 4`.
/// Scores computed through `prepare` equal the scores against the decoded rows up to float rounding.
public struct ScalarQuantizer: Equatable, Sendable {
    /// Values per vector.
    public let dimension: Int
    /// Per dimension, the value of code 0.
    public let lower: [Float]
    /// Per dimension, the width of one code step (0 for a dimension with a single value).
    public let step: [Float]
    /// Per dimension, `1 / step` (0 where `step` is 0).
    @usableFromInline
    let inverseStep: [Float]

    /// The largest code.
    public static let maxCode: Float = 255

    /// A quantizer over the given per-dimension ranges (each `lower[j] <= upper[j]`, finite).
    public init(lower: [Float], upper: [Float]) {
        precondition(lower.count == upper.count,
                     "ScalarQuantizer: \(lower.count) lower bounds but \(upper.count) upper bounds")
        precondition(!lower.isEmpty, "ScalarQuantizer: dimension must be positive, got 0")
        var step = [Float](repeating: 0, count: lower.count)
        var inverse = [Float](repeating: 0, count: lower.count)
        for j in 0..<lower.count {
            precondition(lower[j].isFinite && upper[j].isFinite && lower[j] <= upper[j],
                         "ScalarQuantizer: dimension \(j): range \(lower[j])...\(upper[j]) is not finite and ordered")
            let s = (upper[j] - lower[j]) / Self.maxCode
            let inv = 1 / s
            if s > 0 && inv.isFinite {
                step[j] = s
                inverse[j] = inv
            }
        }
        self.dimension = lower.count
        self.lower = lower
        self.step = step
        self.inverseStep = inverse
    }

    /// Trains the per-dimension ranges on `sample` (rows of `dimension` floats, at least one).
    /// `clipFraction` 0 takes each dimension's minimum and maximum; a positive fraction takes the
    /// `clipFraction` and `1 - clipFraction` quantiles instead, so rare outliers do not widen the
    /// steps of every other value (the outliers are then clamped).
    public init(training sample: UnsafeBufferPointer<Float>, dimension: Int, clipFraction: Double = 0) {
        precondition(dimension > 0, "ScalarQuantizer: dimension must be positive, got \(dimension)")
        precondition(sample.count >= dimension && sample.count % dimension == 0,
                     "ScalarQuantizer: sample of \(sample.count) floats is not whole rows of \(dimension)")
        precondition(clipFraction >= 0 && clipFraction < 0.5,
                     "ScalarQuantizer: clipFraction must be in 0..<0.5, got \(clipFraction)")
        let rows = sample.count / dimension
        var lower = [Float](repeating: .infinity, count: dimension)
        var upper = [Float](repeating: -.infinity, count: dimension)
        if clipFraction == 0 {
            for r in 0..<rows {
                let row = r * dimension
                for j in 0..<dimension {
                    let x = sample[row + j]
                    lower[j] = Swift.min(lower[j], x)
                    upper[j] = Swift.max(upper[j], x)
                }
            }
        } else {
            let low = Int((clipFraction * Double(rows - 1)).rounded(.down))
            let high = Int(((1 - clipFraction) * Double(rows - 1)).rounded(.up))
            var column = [Float](repeating: 0, count: rows)
            for j in 0..<dimension {
                for r in 0..<rows { column[r] = sample[r * dimension + j] }
                column.sort()
                lower[j] = column[low]
                upper[j] = column[high]
            }
        }
        self.init(lower: lower, upper: upper)
    }

    /// Per dimension, the value of code 255.
    public var upper: [Float] {
        (0..<dimension).map { lower[$0] + step[$0] * Self.maxCode }
    }

    /// Encodes one vector into `dimension` codes and returns the squared norm of its decoded
    /// form (what the L2 score needs per row; store it beside the codes). NaN encodes as 0.
    @inlinable
    @discardableResult
    public func encode(_ vector: UnsafePointer<Float>, into codes: UnsafeMutablePointer<UInt8>) -> Float {
        var norm: Float = 0
        for j in 0..<dimension {
            let v = ((vector[j] - lower[j]) * inverseStep[j]).rounded(.toNearestOrEven)
            let code: UInt8 = v >= Self.maxCode ? 255 : (v >= 0 ? UInt8(v) : 0)
            codes[j] = code
            let decoded = lower[j] + Float(code) * step[j]
            norm += decoded * decoded
        }
        return norm
    }

    /// Encodes `count` rows (`dimension` floats each, contiguous) into `count * dimension` codes;
    /// writes each decoded row's squared norm to `squaredNorms` when given.
    public func encode(rows: UnsafePointer<Float>, count: Int, into codes: UnsafeMutablePointer<UInt8>,
                       squaredNorms: UnsafeMutablePointer<Float>? = nil) {
        precondition(count >= 0, "ScalarQuantizer.encode: negative count \(count)")
        for r in 0..<count {
            let norm = encode(rows + r * dimension, into: codes + r * dimension)
            squaredNorms?[r] = norm
        }
    }

    /// Decodes `dimension` codes into floats.
    @inlinable
    public func decode(_ codes: UnsafePointer<UInt8>, into vector: UnsafeMutablePointer<Float>) {
        for j in 0..<dimension {
            vector[j] = lower[j] + Float(codes[j]) * step[j]
        }
    }

    /// The squared norm of the decoded row (the value `encode` returned for it).
    @inlinable
    public func decodedSquaredNorm(_ codes: UnsafePointer<UInt8>) -> Float {
        var norm: Float = 0
        for j in 0..<dimension {
            let decoded = lower[j] + Float(codes[j]) * step[j]
            norm += decoded * decoded
        }
        return norm
    }
}
