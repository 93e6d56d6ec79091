import VectorIndex

/// Copies the stored vectors of arbitrary item rows into a dense row-major scratch matrix,
/// through the snapshot's `VectorTable` (direct pointers into the map: no lookup per row).
@usableFromInline
enum VectorGather {
    /// Writes the vector of `rows[i]` to `out[i * dimension ..< (i + 1) * dimension]`, sets
    /// `present[i]` and, when asked, `inverseNorms[i]` (1 / |v| from the stored squared norm, 0
    /// for a zero vector); a vacant or unknown row gets zeros and `present[i] == false`.
    static func gather(_ table: VectorTable, rows: UnsafeBufferPointer<UInt32>,
                       into out: UnsafeMutablePointer<Float>, present: UnsafeMutablePointer<Bool>,
                       inverseNorms: UnsafeMutablePointer<Float>? = nil) {
        let d = table.dimension
        for (i, row) in rows.enumerated() {
            let target = out + i * d
            if table.hasVector(row), let v = table.vector(row) {
                target.update(from: v, count: d)
                present[i] = true
                let squared = table.squaredNorm(row)
                inverseNorms?[i] = squared > 0 ? 1 / squared.squareRoot() : 0
            } else {
                target.update(repeating: 0, count: d)
                present[i] = false
                inverseNorms?[i] = 0
            }
        }
    }
}
