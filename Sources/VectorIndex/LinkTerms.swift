import VectorMath

/// The per-row values a graph's link mode scores with besides the vectors: 1/|x| for angle
/// links, the augmenting component sqrt(R^2 - |x|^2) for augmented ones (none otherwise).
/// Builds fill them; a loaded index fills them on its first online write (searches never use
/// them: at 1M rows filling costs ~0.1 s that every open would otherwise pay).
struct LinkTerms {
    let mode: LinkMode
    /// Augmented links: R^2, the squared norm at `HNSWParameters.augmentQuantile` of the
    /// build's rows (kept in `hnsw_meta`, so an insert after a reload gets the term the build
    /// would have given it). Rows longer than R get term 0: they link by plain inner product.
    let radiusSquared: Float
    private(set) var values: [Float] = []
    /// Whether `values` holds every row's term (false after a load, until the first write).
    private(set) var filled = false

    /// Terms for a build over `table`: R^2 is the squared norm at `quantile` of its rows'
    /// (1: the largest); every row's term is filled.
    init(mode: LinkMode, table: VectorTable, quantile: Double) {
        self.mode = mode
        var r2: Float = 0
        if mode == .augmented {
            var norms: [Float] = []
            for row in 0..<table.rows where table.hasVector(UInt32(row)) {
                let n = table.squaredNorm(UInt32(row))
                if n.isFinite { norms.append(n) }
            }
            norms.sort()
            let q = min(max(quantile, 0), 1)
            if !norms.isEmpty { r2 = norms[min(norms.count - 1, Int((q * Double(norms.count - 1)).rounded()))] }
        }
        radiusSquared = r2
        fill(table)
    }

    /// Terms of a loaded index (R^2 from `hnsw_meta`), filled on first use by `fill`.
    init(mode: LinkMode, radiusSquared: Float) {
        self.mode = mode
        self.radiusSquared = radiusSquared
    }

    /// Computes every row's term from `table`'s stored norms (once; later calls do nothing).
    mutating func fill(_ table: VectorTable) {
        guard !filled else { return }
        filled = true
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

    /// Sets the terms of `rows` (new or changed vectors) from `table`, growing to its size
    /// (filling every row first after a load).
    mutating func update(_ rows: [UInt32], table: VectorTable) {
        guard mode.hasRowTerms else { return }
        guard filled else { return fill(table) }
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
