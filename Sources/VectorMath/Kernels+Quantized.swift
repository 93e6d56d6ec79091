import CKernels

/// Kernels over compact storage: uint8 codes (asymmetric scalar quantization, see
/// `ScalarQuantizer`), int8 codes (symmetric quantization, VNNI where present) and IEEE
/// binary16 rows (F16C / AVX-512 conversion). Half-precision values travel as their raw 16-bit
/// patterns (`UInt16`) so the API does not depend on `Float16` being available.
extension Kernels {
    // MARK: float32 query x uint8 codes

    /// `sum(query[j] * Float(codes[j]))` over `count` elements. With a query prepared by
    /// `ScalarQuantizer` (scale and offset folded in) this plus the prepared constant is the
    /// score against the decoded row.
    @inlinable
    public static func u8Dot(_ query: UnsafePointer<Float>, _ codes: UnsafePointer<UInt8>, count: Int) -> Float {
        precondition(count >= 0, "Kernels.u8Dot: negative count \(count)")
        return ck_u8_dot(query, codes, count)
    }

    /// `out[i] = u8Dot(query, base + ids[i] * stride)` for `i < count`, rows of `dimension`
    /// codes; `stride` is in bytes.
    @inlinable
    public static func u8DotGather(_ query: UnsafePointer<Float>, base: UnsafePointer<UInt8>, stride: Int,
                                   ids: UnsafePointer<UInt32>, count: Int, dimension: Int,
                                   into out: UnsafeMutablePointer<Float>) {
        precondition(count >= 0 && dimension >= 0 && stride >= 0,
                     "Kernels.u8DotGather: negative count \(count), dimension \(dimension) or stride \(stride)")
        ck_u8_dot_gather(query, base, stride, ids, count, dimension, out)
    }

    // MARK: int8 x int8

    /// Exact `sum(Int32(a[j]) * Int32(b[j]))` over `count` elements, for the whole int8 range
    /// (VNNI `vpdpbusd` on AVX-512 CPUs that have it). Exact while the true sum fits in `Int32`,
    /// which holds for any `count <= 131_072`.
    @inlinable
    public static func i8Dot(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, count: Int) -> Int32 {
        precondition(count >= 0, "Kernels.i8Dot: negative count \(count)")
        return ck_i8_dot(a, b, count)
    }

    /// `out[i] = i8Dot(query, base + ids[i] * stride)` for `i < count`; `stride` in bytes.
    @inlinable
    public static func i8DotGather(_ query: UnsafePointer<Int8>, base: UnsafePointer<Int8>, stride: Int,
                                   ids: UnsafePointer<UInt32>, count: Int, dimension: Int,
                                   into out: UnsafeMutablePointer<Int32>) {
        precondition(count >= 0 && dimension >= 0 && stride >= 0,
                     "Kernels.i8DotGather: negative count \(count), dimension \(dimension) or stride \(stride)")
        ck_i8_dot_gather(query, base, stride, ids, count, dimension, out)
    }

    // MARK: float32 query x float16 rows

    /// Inner product of a float query and a binary16 row (`count` elements each).
    @inlinable
    public static func f16Dot(_ query: UnsafePointer<Float>, _ halves: UnsafePointer<UInt16>, count: Int) -> Float {
        precondition(count >= 0, "Kernels.f16Dot: negative count \(count)")
        return ck_f16_dot(query, halves, count)
    }

    /// `out[i] = f16Dot(query, base + ids[i] * stride)` for `i < count`; `stride` in halves.
    @inlinable
    public static func f16DotGather(_ query: UnsafePointer<Float>, base: UnsafePointer<UInt16>, stride: Int,
                                    ids: UnsafePointer<UInt32>, count: Int, dimension: Int,
                                    into out: UnsafeMutablePointer<Float>) {
        precondition(count >= 0 && dimension >= 0 && stride >= 0,
                     "Kernels.f16DotGather: negative count \(count), dimension \(dimension) or stride \(stride)")
        ck_f16_dot_gather(query, base, stride, ids, count, dimension, out)
    }

    /// Converts `count` floats to binary16, rounding to nearest even (beyond +-65504 to
    /// infinity; NaN stays NaN).
    @inlinable
    public static func convertToF16(_ source: UnsafePointer<Float>, into halves: UnsafeMutablePointer<UInt16>,
                                    count: Int) {
        precondition(count >= 0, "Kernels.convertToF16: negative count \(count)")
        ck_f32_to_f16(source, halves, count)
    }

    /// Converts `count` binary16 values to floats (exact).
    @inlinable
    public static func convertFromF16(_ halves: UnsafePointer<UInt16>, into floats: UnsafeMutablePointer<Float>,
                                      count: Int) {
        precondition(count >= 0, "Kernels.convertFromF16: negative count \(count)")
        ck_f16_to_f32(halves, floats, count)
    }
}

// MARK: contiguous rows (IVF list scans)

extension Kernels {
    /// `out[i] = sum(Int32(weights[j]) * Int32(codes[i * dimension + j]))` for `i < count`:
    /// 16-bit query weights against rows of int8 codes stored back to back (an int8 posting
    /// list). Exact while every true sum fits in `Int32` (keep `sum |weights| * 128` below
    /// `Int32.max`); otherwise it wraps.
    @inlinable
    public static func i16i8DotContiguous(weights: UnsafePointer<Int16>, codes: UnsafePointer<Int8>, count: Int,
                                          dimension: Int, into out: UnsafeMutablePointer<Int32>) {
        precondition(count >= 0 && dimension >= 0,
                     "Kernels.i16i8DotContiguous: negative count \(count) or dimension \(dimension)")
        ck_i16i8_dot_ny(weights, codes, count, dimension, out)
    }
}
