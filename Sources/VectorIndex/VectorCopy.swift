import VectorMath

/// A private copy of a snapshot's item vectors and norms in huge-page memory
/// (`HugePageBuffer`), for work that reads vectors at random (building a graph). Rows without
/// a vector keep NaN, as in the store.
final class VectorCopy {
    let table: VectorTable
    private let buffer: HugePageBuffer

    init(_ source: VectorTable) {
        let d = source.dimension, n = source.rows
        let normOffset = (n * d * 4 + 63) & ~63
        buffer = HugePageBuffer(bytes: normOffset + n * 4)
        let vectors = buffer.base.bindMemory(to: Float.self, capacity: n * d)
        let norms = (buffer.base + normOffset).bindMemory(to: Float.self, capacity: n)
        for r in 0..<n {
            let row = UInt32(r)
            if let v = source.vector(row) {
                (vectors + r * d).update(from: v, count: d)
            } else {
                (vectors + r * d).update(repeating: .nan, count: d)
            }
            norms[r] = source.squaredNorm(row)
        }
        table = VectorTable(dimension: d, rows: n, vectors: vectors, squaredNorms: norms)
    }
}
