/// Convenience overloads of the `Distance` kernels on buffers and arrays. Both operands of a
/// binary kernel must have the same count (checked by a precondition).
extension Distance {
    /// Inner product of two equally long buffers (0 for empty buffers).
    @inlinable
    public static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        precondition(a.count == b.count, "Distance.dot: counts differ (\(a.count) vs \(b.count))")
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
        return dot(pa, pb, count: a.count)
    }

    /// Squared L2 distance of two equally long buffers (0 for empty buffers).
    @inlinable
    public static func squaredL2(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        precondition(a.count == b.count, "Distance.squaredL2: counts differ (\(a.count) vs \(b.count))")
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
        return squaredL2(pa, pb, count: a.count)
    }

    /// Squared Euclidean norm of a buffer (0 when empty).
    @inlinable
    public static func squaredNorm(_ v: UnsafeBufferPointer<Float>) -> Float {
        guard let p = v.baseAddress else { return 0 }
        return squaredNorm(p, count: v.count)
    }

    /// Normalises a buffer in place; returns the original norm (see the pointer form).
    @inlinable
    @discardableResult
    public static func normalize(_ v: UnsafeMutableBufferPointer<Float>) -> Float {
        guard let p = v.baseAddress else { return 0 }
        return normalize(p, count: v.count)
    }

    /// Project score of two equally long buffers (see `score(metric:_:_:count:)`).
    @inlinable
    public static func score(metric: Metric, _ a: UnsafeBufferPointer<Float>,
                             _ b: UnsafeBufferPointer<Float>) -> Float {
        precondition(a.count == b.count, "Distance.score: counts differ (\(a.count) vs \(b.count))")
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
        return score(metric: metric, pa, pb, count: a.count)
    }

    /// Inner product of two equally long arrays.
    @inlinable
    public static func dot(_ a: [Float], _ b: [Float]) -> Float {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in dot(pa, pb) } }
    }

    /// Squared L2 distance of two equally long arrays.
    @inlinable
    public static func squaredL2(_ a: [Float], _ b: [Float]) -> Float {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in squaredL2(pa, pb) } }
    }

    /// Squared Euclidean norm of an array.
    @inlinable
    public static func squaredNorm(_ v: [Float]) -> Float {
        v.withUnsafeBufferPointer { squaredNorm($0) }
    }

    /// Normalises an array in place; returns the original norm (a zero vector stays zero).
    @inlinable
    @discardableResult
    public static func normalize(_ v: inout [Float]) -> Float {
        v.withUnsafeMutableBufferPointer { normalize($0) }
    }

    /// Project score of two equally long arrays (see `score(metric:_:_:count:)`).
    @inlinable
    public static func score(metric: Metric, _ a: [Float], _ b: [Float]) -> Float {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in score(metric: metric, pa, pb) } }
    }
}
