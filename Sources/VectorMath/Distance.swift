/// Distance kernels over `Float` vectors.
///
/// The pointer forms are the hot path: they read `count` floats from each pointer with unaligned
/// 16-lane SIMD loads, four independent accumulators (64 floats per step), a 16-lane step, and a
/// scalar tail. A plain Swift loop is not vectorised by the compiler on this target, hence the
/// explicit `SIMD16<Float>`.
///
/// Score convention (see `Metric`): every score is "higher is better"; `score(metric:_:_:count:)`
/// returns the dot product for `.innerProduct` and `.cosine` (vectors of a cosine store are
/// normalised on the way in) and the negated squared L2 distance for `.l2`.
public enum Distance {
    /// Bytes in one `SIMD16<Float>` lane group.
    @usableFromInline
    static let laneBytes = MemoryLayout<SIMD16<Float>>.size

    /// Inner product of `a` and `b` (each `count` floats).
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var i = 0
        while i &+ 64 <= count {
            let o = i &* 4
            s0 += ra.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            s1 += ra.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD16<Float>.self)
            s2 += ra.loadUnaligned(fromByteOffset: o &+ 128, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o &+ 128, as: SIMD16<Float>.self)
            s3 += ra.loadUnaligned(fromByteOffset: o &+ 192, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o &+ 192, as: SIMD16<Float>.self)
            i &+= 64
        }
        while i &+ 16 <= count {
            let o = i &* 4
            s0 += ra.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            i &+= 16
        }
        var total = ((s0 + s1) + (s2 + s3)).sum()
        while i < count {
            total += a[i] * b[i]
            i &+= 1
        }
        return total
    }

    /// Squared Euclidean distance between `a` and `b` (each `count` floats).
    @inlinable
    public static func squaredL2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var i = 0
        while i &+ 64 <= count {
            let o = i &* 4
            let d0 = ra.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
                - rb.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            let d1 = ra.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD16<Float>.self)
                - rb.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD16<Float>.self)
            let d2 = ra.loadUnaligned(fromByteOffset: o &+ 128, as: SIMD16<Float>.self)
                - rb.loadUnaligned(fromByteOffset: o &+ 128, as: SIMD16<Float>.self)
            let d3 = ra.loadUnaligned(fromByteOffset: o &+ 192, as: SIMD16<Float>.self)
                - rb.loadUnaligned(fromByteOffset: o &+ 192, as: SIMD16<Float>.self)
            s0 += d0 * d0
            s1 += d1 * d1
            s2 += d2 * d2
            s3 += d3 * d3
            i &+= 64
        }
        while i &+ 16 <= count {
            let o = i &* 4
            let d = ra.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
                - rb.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            s0 += d * d
            i &+= 16
        }
        var total = ((s0 + s1) + (s2 + s3)).sum()
        while i < count {
            let d = a[i] - b[i]
            total += d * d
            i &+= 1
        }
        return total
    }

    /// The largest squared norm a stored or query vector may have: a quarter of the largest
    /// float, so that every score between two such vectors (a dot product, at most |q||x|, or a
    /// squared distance, at most (|q| + |x|)^2) and every partial sum of one stays finite.
    public static let maximumSquaredNorm = Float.greatestFiniteMagnitude / 4

    /// Squared Euclidean norm of `v` (`count` floats).
    @inlinable
    public static func squaredNorm(_ v: UnsafePointer<Float>, count: Int) -> Float {
        let rv = UnsafeRawPointer(v)
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var i = 0
        while i &+ 64 <= count {
            let o = i &* 4
            let x0 = rv.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            let x1 = rv.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD16<Float>.self)
            let x2 = rv.loadUnaligned(fromByteOffset: o &+ 128, as: SIMD16<Float>.self)
            let x3 = rv.loadUnaligned(fromByteOffset: o &+ 192, as: SIMD16<Float>.self)
            s0 += x0 * x0
            s1 += x1 * x1
            s2 += x2 * x2
            s3 += x3 * x3
            i &+= 64
        }
        while i &+ 16 <= count {
            let x = rv.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            s0 += x * x
            i &+= 16
        }
        var total = ((s0 + s1) + (s2 + s3)).sum()
        while i < count {
            total += v[i] * v[i]
            i &+= 1
        }
        return total
    }

    /// Scales `v` to unit length in place and returns its original Euclidean norm.
    /// A zero vector (norm 0) is left unchanged and 0 is returned.
    @inlinable
    @discardableResult
    public static func normalize(_ v: UnsafeMutablePointer<Float>, count: Int) -> Float {
        let norm = squaredNorm(v, count: count).squareRoot()
        guard norm > 0, norm.isFinite else { return norm }
        let scale = 1 / norm
        let rv = UnsafeMutableRawPointer(v)
        let s = SIMD16<Float>(repeating: scale)
        var i = 0
        while i &+ 16 <= count {
            let o = i &* 4
            rv.storeBytes(of: rv.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self) * s,
                          toByteOffset: o, as: SIMD16<Float>.self)
            i &+= 16
        }
        while i < count {
            v[i] *= scale
            i &+= 1
        }
        return norm
    }

    /// The project score of `a` against `b` (higher is better): dot product for `.innerProduct`
    /// and `.cosine` (both vectors already normalised), negated squared L2 distance for `.l2`.
    @inlinable
    public static func score(metric: Metric, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                             count: Int) -> Float {
        switch metric {
        case .innerProduct, .cosine: return dot(a, b, count: count)
        case .l2: return -squaredL2(a, b, count: count)
        }
    }
}
