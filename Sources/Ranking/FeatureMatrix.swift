/// Feature values of a batch of candidates, one contiguous row per feature
/// (`values[feature * stride + candidate]`), so each feature is computed by one loop over the
/// candidates. NaN marks a missing value (the model substitutes its default). Reused across
/// requests: `reset` allocates only when the batch outgrows every earlier one.
public struct FeatureMatrix {
    public private(set) var featureCount: Int = 0
    public private(set) var count: Int = 0
    /// Distance between feature rows (at least `count`).
    public private(set) var stride: Int = 0
    @usableFromInline var values: [Float] = []

    public init() {}

    /// Sizes the matrix for `features x count` and fills it with NaN.
    public mutating func reset(features: Int, count: Int) {
        if features * count > values.count || count > stride {
            stride = max(count, stride)
            values = [Float](repeating: .nan, count: max(features * stride, values.count))
        }
        featureCount = features
        self.count = count
        values.withUnsafeMutableBufferPointer { v in
            for f in 0 ..< features { (v.baseAddress! + f * stride).update(repeating: .nan, count: count) }
        }
    }

    @inlinable
    public subscript(feature f: Int, candidate c: Int) -> Float {
        get { values[f * stride + c] }
        set { values[f * stride + c] = newValue }
    }

    /// One feature's values over the batch (a copy).
    public func values(ofFeature f: Int) -> [Float] { Array(values[f * stride ..< f * stride + count]) }

    /// Mutable access to the rows (feature `f` starts at `f * stride`).
    @inlinable
    public mutating func withRows<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try values.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }

    /// Read access to the rows (feature `f` starts at `f * stride`).
    @inlinable
    public func withRows<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try values.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }
}
