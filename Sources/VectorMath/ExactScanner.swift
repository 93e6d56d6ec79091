/// Exact (brute-force) top-k search over row-major blocks of vectors, by BLAS matrix products.
///
/// Reusable scratch: create one per worker, then per batch of queries call `setQueries`, `scan`
/// once per stored block, and read `results(query:)`. Nothing is allocated after `init` except
/// by the `results(query:)` array itself and when `setQueries` is asked for a larger `k`.
///
/// Score convention (higher is better, as `Metric` says):
/// - `.innerProduct`: `q . x`
/// - `.cosine`: `q . x` with `q` normalised here and `x` normalised when it was stored
/// - `.l2`: `-|q - x|^2`, computed as `-(|q|^2 - 2 q . x + |x|^2)` and clamped to at most 0
///
/// A stored row whose first component is NaN is vacant (no vector, or deleted) and never returned;
/// neither is any row whose score comes out NaN.
public struct ExactScanner {
    /// Budget of the scratch score matrix, in floats (4 MiB).
    @usableFromInline static let scoreBudget = 1 << 20
    /// Most rows scored per BLAS product.
    @usableFromInline static let maxChunkRows = 16_384

    public let metric: Metric
    public let dimension: Int
    /// Largest number of queries one `setQueries` call may pass.
    public let maxQueries: Int
    /// Rows scored per BLAS product (bounded so `maxQueries * chunkRows` fits the budget).
    public let chunkRows: Int

    /// Queries as set, row-major `maxQueries x dimension` (normalised for cosine).
    @usableFromInline var queries: [Float]
    /// `|q|^2` per query (used for l2 only).
    @usableFromInline var queryNorms: [Float]
    /// One heap per query.
    @usableFromInline var heaps: [TopK]
    /// `queryCount x chunkRows` dot products of the current chunk.
    @usableFromInline var scores: [Float]
    /// Per row of the current chunk: the term subtracted from the scaled dot product
    /// (`|x|^2` for l2, 0 otherwise), NaN for a vacant or filtered-out row.
    @usableFromInline var rowTerms: [Float]
    /// Number of queries set by the last `setQueries`.
    public private(set) var queryCount: Int
    /// Number of results kept per query.
    public private(set) var k: Int

    /// Creates a scanner for up to `maxQueries` queries of `dimension` floats, keeping `k`
    /// results per query.
    public init(metric: Metric, dimension: Int, k: Int, maxQueries: Int) {
        self.init(metric: metric, dimension: dimension, k: k, maxQueries: maxQueries,
                  chunkRows: max(1, min(ExactScanner.maxChunkRows, ExactScanner.scoreBudget / max(1, maxQueries))))
    }

    /// As the public initialiser, with the rows per BLAS product chosen (tests use small chunks).
    init(metric: Metric, dimension: Int, k: Int, maxQueries: Int, chunkRows: Int) {
        precondition(chunkRows > 0, "ExactScanner: chunkRows must be positive, got \(chunkRows)")
        precondition(dimension > 0, "ExactScanner: dimension must be positive, got \(dimension)")
        precondition(k >= 0, "ExactScanner: k must not be negative, got \(k)")
        precondition(maxQueries > 0, "ExactScanner: maxQueries must be positive, got \(maxQueries)")
        self.metric = metric
        self.dimension = dimension
        self.maxQueries = maxQueries
        self.k = k
        self.chunkRows = chunkRows
        queries = Array(repeating: 0, count: maxQueries * dimension)
        queryNorms = Array(repeating: 0, count: maxQueries)
        heaps = Array(repeating: TopK(capacity: k), count: maxQueries)
        scores = Array(repeating: 0, count: maxQueries * chunkRows)
        rowTerms = Array(repeating: 0, count: chunkRows)
        queryCount = 0
    }

    /// Copies `count` row-major queries from `q` (normalising them for cosine; a zero query
    /// stays zero) and empties the result heaps. `k`, when given, replaces the number of results
    /// kept per query; it allocates only when larger than any `k` used before.
    public mutating func setQueries(_ q: UnsafeBufferPointer<Float>, count: Int, k: Int? = nil) {
        precondition(count >= 0 && count <= maxQueries,
                     "ExactScanner.setQueries: count \(count) outside 0...\(maxQueries)")
        precondition(q.count >= count * dimension,
                     "ExactScanner.setQueries: buffer holds \(q.count) floats, expected \(count * dimension)")
        if let k {
            precondition(k >= 0, "ExactScanner.setQueries: k must not be negative, got \(k)")
            self.k = k
        }
        let dim = dimension, metric = self.metric
        queries.withUnsafeMutableBufferPointer { dst in
            queryNorms.withUnsafeMutableBufferPointer { norms in
                for i in 0..<count {
                    let row = dst.baseAddress! + i * dim
                    row.update(from: q.baseAddress! + i * dim, count: dim)
                    switch metric {
                    case .cosine: Distance.normalize(row, count: dim)
                    case .l2: norms[i] = Distance.squaredNorm(row, count: dim)
                    case .innerProduct: break
                    }
                }
            }
        }
        for i in 0..<count { heaps[i].reset(k: self.k) }
        queryCount = count
    }

    /// Scores `count` consecutive row-major vectors at `block` (ids `firstID`, `firstID + 1`, ...)
    /// against every query and keeps the best per query. `squaredNorms` (one per row, used for
    /// l2 only) are computed when nil. `accept`, when given, is asked once per non-vacant row and
    /// rows it rejects are skipped.
    public mutating func scan(block: UnsafePointer<Float>, count: Int, firstID: UInt32,
                              squaredNorms: UnsafePointer<Float>?, accept: ((UInt32) -> Bool)?) {
        precondition(count >= 0, "ExactScanner.scan: count must not be negative, got \(count)")
        precondition(count == 0 || UInt64(firstID) + UInt64(count - 1) <= UInt64(UInt32.max),
                     "ExactScanner.scan: ids \(firstID) + \(count) overflow UInt32")
        guard queryCount > 0, count > 0, k > 0 else { return }
        var start = 0
        while start < count {
            let n = min(chunkRows, count - start)
            scanChunk(rows: block + start * dimension, count: n, firstID: firstID + UInt32(start),
                      squaredNorms: squaredNorms.map { $0 + start }, accept: accept)
            start += n
        }
    }

    /// The results of query `query` (0-based), best first.
    public func results(query: Int) -> [ScoredID] {
        precondition(query >= 0 && query < queryCount,
                     "ExactScanner.results: query \(query) outside 0..<\(queryCount)")
        return heaps[query].sorted()
    }

    /// Writes the results of query `query`, best first, into `out` (reusing its storage).
    public func results(query: Int, into out: inout [ScoredID]) {
        precondition(query >= 0 && query < queryCount,
                     "ExactScanner.results: query \(query) outside 0..<\(queryCount)")
        heaps[query].sorted(into: &out)
    }

    private mutating func scanChunk(rows: UnsafePointer<Float>, count n: Int, firstID: UInt32,
                                    squaredNorms: UnsafePointer<Float>?, accept: ((UInt32) -> Bool)?) {
        let dim = dimension, nq = queryCount, isL2 = metric == .l2
        // Per-row term: NaN marks a row never to return.
        rowTerms.withUnsafeMutableBufferPointer { terms in
            for j in 0..<n {
                let row = rows + j * dim
                if row[0].isNaN || !(accept?(firstID + UInt32(j)) ?? true) {
                    terms[j] = .nan
                } else if isL2 {
                    terms[j] = squaredNorms?[j] ?? Distance.squaredNorm(row, count: dim)
                } else {
                    terms[j] = 0
                }
            }
        }
        queries.withUnsafeBufferPointer { q in
            scores.withUnsafeMutableBufferPointer { s in
                BLAS.multiplyTransposed(a: q.baseAddress!, rowsA: nq, b: rows, rowsB: n,
                                        dimension: dim, into: s.baseAddress!)
            }
        }
        let scale: Float = isL2 ? 2 : 1
        scores.withUnsafeBufferPointer { s in
            rowTerms.withUnsafeBufferPointer { terms in
                queryNorms.withUnsafeBufferPointer { qn in
                    heaps.withUnsafeMutableBufferPointer { heaps in
                        for i in 0..<nq {
                            let dots = s.baseAddress! + i * n
                            let qTerm: Float = isL2 ? qn[i] : 0
                            for j in 0..<n {
                                let value = scale * dots[j] - terms[j] - qTerm
                                // l2: rounding can push -|q - x|^2 above 0; NaN stays NaN.
                                let score: Float = value > 0 && isL2 ? 0 : value
                                if score.isNaN { continue }
                                heaps[i].push(score: score, id: firstID &+ UInt32(truncatingIfNeeded: j))
                            }
                        }
                    }
                }
            }
        }
    }
}
