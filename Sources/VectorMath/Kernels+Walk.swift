import CKernels

/// uint8 codes x int8 weights with exact int32 sums (VNNI `vpdpbusd` where present): the inner
/// loop of an int8 graph walk, whose query is folded into int8 weights once per query.
extension Kernels {
    /// `sum(Int32(query[j]) * Int32(codes[j]))` over `count` elements.
    @inlinable
    public static func u8s8Dot(_ query: UnsafePointer<Int8>, _ codes: UnsafePointer<UInt8>, count: Int) -> Int32 {
        precondition(count >= 0, "Kernels.u8s8Dot: negative count \(count)")
        return ck_u8s8_dot(query, codes, count)
    }

    /// `out[i] = u8s8Dot(query, base + ids[i] * stride)` for `i < count`, rows of `dimension`
    /// codes; `stride` is in bytes.
    @inlinable
    public static func u8s8DotGather(_ query: UnsafePointer<Int8>, base: UnsafePointer<UInt8>, stride: Int,
                                     ids: UnsafePointer<UInt32>, count: Int, dimension: Int,
                                     into out: UnsafeMutablePointer<Int32>) {
        precondition(count >= 0 && dimension >= 0 && stride >= 0,
                     "Kernels.u8s8DotGather: negative count \(count), dimension \(dimension) or stride \(stride)")
        ck_u8s8_dot_gather(query, base, stride, ids, count, dimension, out)
    }

    /// Which implementation runs now: "vnni", "avx2" or "generic" (follows `setLevel`).
    public static var u8s8Implementation: String {
        switch ck_u8s8_level() {
        case 2: return "vnni"
        case 1: return "avx2"
        default: return "generic"
        }
    }
}
