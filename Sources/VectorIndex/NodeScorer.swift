import VectorMath

/// Similarity of stored rows to one query vector (higher is closer), in one of the graph's
/// modes. For `.angular` the query's own norm is left out: it does not change the order. For
/// `.augmented` the query's augmenting component is `queryTerm` (0 for a search, the row's own
/// for an insert), each row's is `rowTerms[row]`.
struct NodeScorer {
    let query: UnsafePointer<Float>
    let table: VectorTable
    let mode: LinkMode
    /// Per row: 1/|x| (angular) or the augmenting component sqrt(R^2 - |x|^2) (augmented).
    let rowTerms: UnsafePointer<Float>?
    /// The query's augmenting component (augmented mode only).
    var queryTerm: Float = 0
    /// When set, rows are scored on their int8 codes instead (an int8 walk).
    var coded: CodeQuery? = nil

    init(query: UnsafePointer<Float>, table: VectorTable, mode: LinkMode, rowTerms: UnsafePointer<Float>?) {
        self.query = query
        self.table = table
        self.mode = mode
        self.rowTerms = rowTerms
    }

    @inline(__always)
    func score(_ row: UInt32) -> Float {
        if let coded { return coded.score(row) }
        return score(row, against: query, term: queryTerm)
    }

    /// The float32 score of stored `row` against vector `q` with augmenting component `term`.
    @inline(__always)
    private func score(_ row: UInt32, against q: UnsafePointer<Float>, term: Float) -> Float {
        let v = table.vector(row).unsafelyUnwrapped
        switch mode {
        case .innerProduct: return Kernels.dot(q, v, count: table.dimension)
        case .angular: return Kernels.dot(q, v, count: table.dimension) * rowTerms.unsafelyUnwrapped[Int(row)]
        case .augmented: return Kernels.dot(q, v, count: table.dimension) + term * rowTerms.unsafelyUnwrapped[Int(row)]
        case .l2: return -Kernels.squaredL2(q, v, count: table.dimension)
        }
    }

    /// Scores `count` rows at once (one kernel call with prefetching over their vectors):
    /// `pointers` is scratch for `count` row pointers, results go to `out`.
    @inline(__always)
    func score(rows: UnsafePointer<UInt32>, count: Int, pointers: UnsafeMutablePointer<UnsafePointer<Float>?>,
               into out: UnsafeMutablePointer<Float>) {
        if let coded { return coded.score(rows: rows, count: count, into: out) }
        for i in 0..<count { pointers[i] = table.vector(rows[i]) }
        switch mode {
        case .innerProduct: Kernels.dotRows(query, rows: pointers, count: count, dimension: table.dimension, into: out)
        case .angular:
            Kernels.dotRows(query, rows: pointers, count: count, dimension: table.dimension, into: out)
            for i in 0..<count { out[i] *= rowTerms.unsafelyUnwrapped[Int(rows[i])] }
        case .augmented:
            Kernels.dotRows(query, rows: pointers, count: count, dimension: table.dimension, into: out)
            if queryTerm != 0 { for i in 0..<count { out[i] += queryTerm * rowTerms.unsafelyUnwrapped[Int(rows[i])] } }
        case .l2:
            Kernels.squaredL2Rows(query, rows: pointers, count: count, dimension: table.dimension, into: out)
            for i in 0..<count { out[i] = -out[i] }
        }
    }

    /// `from(a).score(b)` without making that scorer: a copy of a scorer retains the table's
    /// block arrays, and a build's threads doing that per candidate contend on those shared
    /// reference counts (the build stopped scaling past a few cores). Float vectors always.
    @inline(__always)
    func score(_ b: UInt32, from a: UInt32) -> Float {
        score(b, against: table.vector(a).unsafelyUnwrapped, term: mode == .augmented ? rowTerms.unsafelyUnwrapped[Int(a)] : 0)
    }

    /// The same mode, scoring against another stored row.
    @inline(__always)
    func from(_ row: UInt32) -> NodeScorer {
        var s = NodeScorer(query: table.vector(row).unsafelyUnwrapped, table: table, mode: mode, rowTerms: rowTerms)
        if mode == .augmented { s.queryTerm = rowTerms.unsafelyUnwrapped[Int(row)] }
        return s
    }
}
