import VectorMath

/// The centroids of one build, copied out of the map into a `HugePageBuffer` (transparent
/// huge pages where the kernel has them): every query reads all of them, and from the map they
/// take 512 TLB entries of 4 KiB pages for 4,000 x 128 floats. Valid for the build it was read
/// from (centroids change only with a new build id, which retrievers check per query).
///
/// With VNNI, at least `CentroidCodes.minimumCentroids` lists and a ranking by `2 q.c - |c|^2`
/// (l2, cosine), also their one-byte codes: single queries rank the lists from the codes and
/// compute exact dot products only for the lists the codes' bound cannot rule out.
final class IVFCentroids: @unchecked Sendable {
    private let buffer: HugePageBuffer
    let floats: UnsafeMutablePointer<Float>
    let codes: CentroidCodes?

    init(copying source: UnsafePointer<Float>, count: Int, dimension: Int, metric: Metric) {
        let values = max(1, count * dimension)
        buffer = HugePageBuffer(bytes: values * 4)
        floats = buffer.base.bindMemory(to: Float.self, capacity: values)
        floats.update(from: source, count: count * dimension)
        let all = Array(UnsafeBufferPointer(start: source, count: count * dimension))
        if metric != .innerProduct, count >= CentroidCodes.minimumCentroids, CentroidCodes.available, all.allSatisfy(\.isFinite) {
            let norms = (0..<count).map { Distance.squaredNorm(source + $0 * dimension, count: dimension) }
            codes = CentroidCodes(centroids: all, count: count, dimension: dimension, metric: .l2, norms: norms)
        } else {
            codes = nil
        }
    }
}
