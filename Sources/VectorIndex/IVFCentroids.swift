#if canImport(Glibc)
import Glibc
#endif

/// The centroids of one build, copied out of the map into memory aligned to 2 MiB (transparent
/// huge pages where the kernel has them): every query reads all of them, and from the map they
/// take 512 TLB entries of 4 KiB pages for 4,000 x 128 floats. Valid for the build it was read
/// from (centroids change only with a new build id, which retrievers check per query).
final class IVFCentroids: @unchecked Sendable {
    let count: Int
    let dimension: Int
    let floats: UnsafeMutablePointer<Float>

    static let alignment = 2 << 20

    init(copying source: UnsafePointer<Float>, count: Int, dimension: Int) {
        self.count = count
        self.dimension = dimension
        let bytes = max(1, count * dimension) * 4
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: bytes >= Self.alignment ? Self.alignment : 64)
        #if canImport(Glibc)
        if bytes >= Self.alignment { _ = madvise(raw, bytes, MADV_HUGEPAGE) }
        #endif
        floats = raw.bindMemory(to: Float.self, capacity: max(1, count * dimension))
        floats.update(from: source, count: count * dimension)
    }

    deinit { floats.deallocate() }
}
