import CKernels

extension Kernels {
    /// Hints the CPU to bring the cache line holding `pointer` into cache (a no-op on results):
    /// graph walks use it for the neighbour list and visited marks they will read next.
    @inlinable @inline(__always)
    public static func prefetch(_ pointer: UnsafeRawPointer) {
        ck_prefetch(pointer)
    }
}
