/// One signed byte per component of a residual `r = x - c` (x a row, c its list's centroid):
/// `r[j] ~ offset[j] + scale[j] * code[j]`, `code[j]` in -127...127, with the range of each
/// dimension trained on the residuals at build time (values outside it are clamped; final
/// candidates are re-scored in float32 from the store, so clamping only costs candidate order).
public struct IVFInt8Quantizer: Sendable, Equatable {
    public let offset: [Float]
    public let scale: [Float]

    public var dimension: Int { offset.count }

    public init(offset: [Float], scale: [Float]) {
        precondition(offset.count == scale.count, "IVFInt8Quantizer: \(offset.count) offsets, \(scale.count) scales")
        self.offset = offset
        self.scale = scale
    }

    /// The quantizer covering `minimum[j] ... maximum[j]` in each dimension.
    public init(minimum: [Float], maximum: [Float]) {
        precondition(minimum.count == maximum.count, "IVFInt8Quantizer: \(minimum.count) minima, \(maximum.count) maxima")
        var offset = [Float](repeating: 0, count: minimum.count)
        var scale = [Float](repeating: 1, count: minimum.count)
        for j in minimum.indices {
            let lo = minimum[j].isFinite ? minimum[j] : 0, hi = maximum[j].isFinite ? maximum[j] : 0
            offset[j] = (lo + hi) / 2
            let width = (hi - lo) / 254
            scale[j] = width > 0 ? width : 1
        }
        self.init(offset: offset, scale: scale)
    }

    /// Codes of `residual` (dimension floats) into `codes`.
    @inlinable
    public func encode(_ residual: UnsafePointer<Float>, into codes: UnsafeMutablePointer<Int8>) {
        for j in 0..<offset.count {
            let q = ((residual[j] - offset[j]) / scale[j]).rounded()
            codes[j] = Int8(max(-127, min(127, q.isNaN ? 0 : q)))
        }
    }

    /// The residual that `codes` stand for, into `out` (dimension floats).
    @inlinable
    public func decode(_ codes: UnsafePointer<Int8>, into out: UnsafeMutablePointer<Float>) {
        Self.decode(codes, offset: offset, scale: scale, into: out)
    }

    /// `out = offset + scale * codes`, 16 lanes at a time.
    @inlinable
    static func decode(_ codes: UnsafePointer<Int8>, offset: [Float], scale: [Float], into out: UnsafeMutablePointer<Float>) {
        let d = offset.count
        offset.withUnsafeBufferPointer { o in
            scale.withUnsafeBufferPointer { s in
                let rc = UnsafeRawPointer(codes), ro = UnsafeRawPointer(o.baseAddress!), rs = UnsafeRawPointer(s.baseAddress!)
                let rout = UnsafeMutableRawPointer(out)
                var j = 0
                while j &+ 16 <= d {
                    let c = SIMD16<Float>(rc.loadUnaligned(fromByteOffset: j, as: SIMD16<Int8>.self))
                    let v = ro.loadUnaligned(fromByteOffset: j &* 4, as: SIMD16<Float>.self)
                        + rs.loadUnaligned(fromByteOffset: j &* 4, as: SIMD16<Float>.self) * c
                    rout.storeBytes(of: v, toByteOffset: j &* 4, as: SIMD16<Float>.self)
                    j &+= 16
                }
                while j < d {
                    out[j] = o[j] + s[j] * Float(codes[j])
                    j &+= 1
                }
            }
        }
    }

    // MARK: query side

    /// Prepares a query for `Kernels.i16i8DotContiguous`: `weights` (dimension Int16s) get
    /// `q[j] * scale[j]` as 16-bit integers, in the order of the components. Returns the factor
    /// turning the kernel's sum into `q . (r - offset)`, and `q . offset`. The weights are
    /// bounded so that `sum |w[j] * code[j]|` (codes up to 127) fits in Int32: the kernel's
    /// integer sums are exact, the same whichever form or order computes them.
    @inlinable
    public func prepare(query q: UnsafePointer<Float>, weights: UnsafeMutablePointer<Int16>) -> (factor: Float, offsetDot: Float) {
        let d = offset.count
        var largest: Float = 0, offsetDot: Float = 0
        for j in 0..<d {
            largest = max(largest, abs(q[j] * scale[j]))
            offsetDot += q[j] * offset[j]
        }
        let limit = Float(min(32_767, Int(Int32.max) / (128 * max(d, 1))))
        let factor = largest > 0 ? largest / limit : 1
        for j in 0..<d { weights[j] = Int16((q[j] * scale[j] / factor).rounded()) }
        return (factor, offsetDot)
    }
}
