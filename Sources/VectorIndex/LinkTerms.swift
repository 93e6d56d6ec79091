import VectorMath

/// The per-row values a graph's link mode scores with besides the vectors: 1/|x| for angle
/// links, the augmenting component sqrt(R^2 - |x|^2) for augmented ones (none otherwise).
/// Builds fill them; online inserts extend them; loads recompute them from the stored norms.
struct LinkTerms {
    let mode: LinkMode
    /// Augmented links: R^2, the squared norm at `HNSWParameters.augmentQuantile` of the
    /// build's rows (kept in `hnsw_meta`, so an insert after a reload gets the term the build
    /// would have given it). Rows longer than R get term 0: they link by plain inner product.
    let radiusSquared: Float
    private(set) var values: [Float]

    /// Terms of every row of `table`; `radiusSquared` nil takes the squared norm at `quantile`
    /// of the rows' (1: the largest).
    init(mode: LinkMode, table: VectorTable, radiusSquared: Float? = nil, quantile: Double = 1) {
        self.mode = mode
        var r2: Float = 0
        if mode == .augmented {
            if let radiusSquared {
                r2 = radiusSquared
            } else {
                var norms: [Float] = []
                for row in 0..<table.rows where table.hasVector(UInt32(row)) {
                    let n = table.squaredNorm(UInt32(row))
                    if n.isFinite { norms.append(n) }
                }
                norms.sort()
                let q = min(max(quantile, 0), 1)
                if !norms.isEmpty { r2 = norms[min(norms.count - 1, Int((q * Double(norms.count - 1)).rounded()))] }
            }
        }
        self.radiusSquared = r2
        values = []
        guard mode.hasRowTerms else { return }
        values = [Float](repeating: 0, count: table.rows)
        for row in 0..<table.rows where table.hasVector(UInt32(row)) { values[row] = term(squaredNorm: table.squaredNorm(UInt32(row))) }
    }

    /// The term of a row with squared norm `n` (0 for a zero, NaN or, augmented, over-long vector).
    func term(squaredNorm n: Float) -> Float {
        guard n.isFinite else { return 0 }
        switch mode {
        case .angular: return n > 0 ? 1 / n.squareRoot() : 0
        case .augmented: return radiusSquared > n ? (radiusSquared - n).squareRoot() : 0
        case .innerProduct, .l2: return 0
        }
    }

    /// Sets the terms of `rows` (new or changed vectors) from `table`, growing to its size.
    mutating func update(_ rows: [UInt32], table: VectorTable) {
        guard mode.hasRowTerms else { return }
        if values.count < table.rows { values += repeatElement(0, count: table.rows - values.count) }
        for row in rows where Int(row) < values.count {
            values[Int(row)] = table.hasVector(row) ? term(squaredNorm: table.squaredNorm(row)) : 0
        }
    }

    var memoryBytes: Int { values.count * 4 }

    /// Runs `body` with a pointer to the terms (nil when the mode has none).
    func withPointer<R>(_ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
        guard mode.hasRowTerms else { return try body(nil) }
        return try values.withUnsafeBufferPointer { try body($0.baseAddress) }
    }
}
