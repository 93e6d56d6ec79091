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

    /// Prepares a query for `dot`: `weights` (dimension Int16s) get `q[j] * scale[j]` as
    /// 16-bit integers, the components of each group of 16 reordered as 8 even then 8 odd
    /// (the order `dot` reads codes in). Returns the factor turning `dot` into `q . (r - offset)`
    /// and `q . offset`.
    @inlinable
    public func prepare(query q: UnsafePointer<Float>, weights: UnsafeMutablePointer<Int16>) -> (factor: Float, offsetDot: Float) {
        let d = offset.count
        var largest: Float = 0, offsetDot: Float = 0
        for j in 0..<d {
            largest = max(largest, abs(q[j] * scale[j]))
            offsetDot += q[j] * offset[j]
        }
        // Keep sum_j |w_j * code_j| (codes up to 127) inside Int32.
        let limit = Float(min(32_767, Int(Int32.max) / (127 * max(d, 1))))
        let factor = largest > 0 ? largest / limit : 1
        let full = d & ~15
        for j in 0..<d {
            let w = Int16((q[j] * scale[j] / factor).rounded())
            if j < full {
                let group = j & ~15, lane = j & 15
                weights[group + (lane & 1) * 8 + lane / 2] = w
            } else {
                weights[j] = w
            }
        }
        return (factor, offsetDot)
    }

    /// `sum_j w[j] * codes[j]` for 4 consecutive rows of `codes` (`dimension` bytes each), with
    /// `weights` from `prepare`: 16 components per step by `pmaddwd`-shaped products (the
    /// bytes are sign-extended in 16-bit lanes, even and odd apart), which SSE2 has.
    @inlinable
    public static func dot4(_ weights: UnsafePointer<Int16>, _ codes: UnsafePointer<Int8>, dimension d: Int,
                            into out: UnsafeMutablePointer<Int32>) {
        let rw = UnsafeRawPointer(weights), r0 = UnsafeRawPointer(codes)
        let r1 = r0 + d, r2 = r1 + d, r3 = r2 + d
        var a0 = SIMD8<Int32>(), a1 = SIMD8<Int32>(), a2 = SIMD8<Int32>(), a3 = SIMD8<Int32>()
        var j = 0
        while j &+ 16 <= d {
            let even = SIMD8<Int32>(truncatingIfNeeded: rw.loadUnaligned(fromByteOffset: j &* 2, as: SIMD8<Int16>.self))
            let odd = SIMD8<Int32>(truncatingIfNeeded: rw.loadUnaligned(fromByteOffset: j &* 2 &+ 16, as: SIMD8<Int16>.self))
            a0 &+= term(r0, j, even, odd)
            a1 &+= term(r1, j, even, odd)
            a2 &+= term(r2, j, even, odd)
            a3 &+= term(r3, j, even, odd)
            j &+= 16
        }
        out[0] = a0.wrappedSum() &+ tail(weights, codes, from: j, dimension: d)
        out[1] = a1.wrappedSum() &+ tail(weights, codes + d, from: j, dimension: d)
        out[2] = a2.wrappedSum() &+ tail(weights, codes + 2 * d, from: j, dimension: d)
        out[3] = a3.wrappedSum() &+ tail(weights, codes + 3 * d, from: j, dimension: d)
    }

    /// As `dot4`, for one row.
    @inlinable
    public static func dot(_ weights: UnsafePointer<Int16>, _ codes: UnsafePointer<Int8>, dimension d: Int) -> Int32 {
        let rw = UnsafeRawPointer(weights), r0 = UnsafeRawPointer(codes)
        var a0 = SIMD8<Int32>()
        var j = 0
        while j &+ 16 <= d {
            let even = SIMD8<Int32>(truncatingIfNeeded: rw.loadUnaligned(fromByteOffset: j &* 2, as: SIMD8<Int16>.self))
            let odd = SIMD8<Int32>(truncatingIfNeeded: rw.loadUnaligned(fromByteOffset: j &* 2 &+ 16, as: SIMD8<Int16>.self))
            a0 &+= term(r0, j, even, odd)
            j &+= 16
        }
        return a0.wrappedSum() &+ tail(weights, codes, from: j, dimension: d)
    }

    /// Products of 16 codes at byte `j` of `row` with the even and odd weights: the 16 bytes
    /// read as 8 Int16 lanes give the even bytes by `(x << 8) >> 8` and the odd by `x >> 8`.
    @inlinable @inline(__always)
    static func term(_ row: UnsafeRawPointer, _ j: Int, _ even: SIMD8<Int32>, _ odd: SIMD8<Int32>) -> SIMD8<Int32> {
        let x = row.loadUnaligned(fromByteOffset: j, as: SIMD8<Int16>.self)
        return SIMD8<Int32>(truncatingIfNeeded: (x &<< 8) &>> 8) &* even &+ SIMD8<Int32>(truncatingIfNeeded: x &>> 8) &* odd
    }

    @inlinable @inline(__always)
    static func tail(_ weights: UnsafePointer<Int16>, _ codes: UnsafePointer<Int8>, from start: Int, dimension d: Int) -> Int32 {
        var total: Int32 = 0
        var j = start
        while j < d {
            total &+= Int32(weights[j]) &* Int32(codes[j])
            j &+= 1
        }
        return total
    }
}
