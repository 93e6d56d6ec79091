/// The centroids of one build, copied out of the map into a `HugePageBuffer` (transparent
/// huge pages where the kernel has them): every query reads all of them, and from the map they
/// take 512 TLB entries of 4 KiB pages for 4,000 x 128 floats. Valid for the build it was read
/// from (centroids change only with a new build id, which retrievers check per query).
final class IVFCentroids: @unchecked Sendable {
    private let buffer: HugePageBuffer
    let floats: UnsafeMutablePointer<Float>

    init(copying source: UnsafePointer<Float>, count: Int, dimension: Int) {
        let values = max(1, count * dimension)
        buffer = HugePageBuffer(bytes: values * 4)
        floats = buffer.base.bindMemory(to: Float.self, capacity: values)
        floats.update(from: source, count: count * dimension)
    }
}
