import VectorMath

/// One retriever's scratch for screening float32 lists by their codes (`IVFListScreen`): the
/// query folded into the residual quantizer and split into two int8 parts, prepared on the
/// first screened list of each query.
final class IVFScreenScratch {
    let query: BlockedQueryScratch
    /// Whether the fields below hold the current query's values (reset by `setQuery`).
    var prepared = false
    /// `q . r^ = constant + scale * (hi . code + lo . code / 254) +- splitError`.
    var constant: Float = 0
    var scale: Float = 1
    var splitError: Float = 0
    /// `sum_j |q_j| step_j * halfStep` (the bound for unclipped lists) and `|q|`.
    var codeBound: Float = 0
    var queryNorm: Float = 0
    /// Rows screened and rows scored again in float32, since the retriever was made (reports, tests).
    var screenedRows = 0
    var rescoredRows = 0

    init(dimension: Int) { query = BlockedQueryScratch(dimension: dimension) }
}

extension IVFRetriever {
    /// Scans a float32 list through its screen: rows whose code score cannot reach `heap`'s
    /// threshold are never scored in float32; the rest are scored exactly (the same kernel and
    /// score as `exactScores`) and offered. Returns false (nothing done) while the heap is not
    /// full or when the query cannot be folded: the caller then scans the list in full.
    func screenedScan(_ posting: IVFPostingList, screen: IVFListScreen, quantizer: ScalarQuantizer, centroidDot: Float,
                      accept: ((UInt32) -> Bool)?, into heap: inout TopK) -> Bool {
        let threshold = heap.threshold
        guard threshold > -.infinity, threshold.isFinite else { return false }
        let s = screenScratch
        if !s.prepared { guard prepareScreen(quantizer) else { return false } }
        let isL2 = metric == .l2
        // Score units: l2 `-|q - x|^2 = 2 q.x - |x|^2 - |q|^2`, otherwise `q.x`, with
        // `q.x = q.c + q.r^ +- bound` and `q.r^ = constant + scale * f +- splitError`.
        var bound = s.queryNorm * screen.maxErrorNorm
        if !screen.clipped { bound = min(bound, s.codeBound) }
        let error = (bound + s.splitError) * 1.001
        let known = centroidDot + s.constant + error
        let factor: Float = isL2 ? 2 : 1
        // The smallest f + alpha |x|^2 a row needs: (threshold [+ |q|^2] - factor * known) / (factor * scale),
        // lowered by the float rounding of both sides.
        let target = isL2 ? threshold + queryNorm2 - 2 * known : threshold - known
        let magnitude = abs(threshold) + queryNorm2 + factor * (abs(centroidDot) + abs(s.constant)) + screen.maxSquaredNorm
        let alpha: Float = isL2 ? -0.5 / s.scale : 0
        let minScore = (target - 1e-5 * magnitude) / (factor * s.scale) - 2 - 1e-5 * abs(alpha) * screen.maxSquaredNorm
        guard minScore.isFinite else { return false }
        let n = posting.count, d = dimension
        let q = s.query
        q.reserve(rows: n)
        let passed = BlockedCodes.scan(screen.blocks, rows: n, dimension: d, hi: q.hi, lo: q.lo,
                                       rowTerms: isL2 ? posting.norms : nil, alpha: alpha, minScore: minScore,
                                       into: q.passing)
        s.screenedRows &+= n
        s.rescoredRows &+= passed
        var current = heap.threshold
        query.withUnsafeBufferPointer { qb in
            for p in 0..<passed {
                let i = Int(q.passing[p])
                let score = Self.exactScore(metric, qb.baseAddress!, posting.floatVector(i), count: d)
                guard score >= current else { continue }
                let id = posting.ids[i]
                if let accept, !accept(id) { continue }
                heap.push(score: score, id: id)
                current = heap.threshold
            }
        }
        return true
    }

    /// Folds the current query into `quantizer` (residual frame) and splits it; false when a
    /// value is not finite.
    private func prepareScreen(_ quantizer: ScalarQuantizer) -> Bool {
        let s = screenScratch, d = dimension
        s.prepared = false
        let q = s.query
        let constant = query.withUnsafeBufferPointer { quantizer.prepare($0.baseAddress!, metric: .innerProduct, weights: q.weights) }
        let (scale, splitError) = BlockedCodes.split(q.weights, dimension: d, hi: q.hi, lo: q.lo)
        var codeBound: Float = 0
        for j in 0..<d { codeBound += abs(q.weights[j]) }
        guard scale.isFinite, scale > 0, constant.isFinite, codeBound.isFinite else { return false }
        s.constant = constant
        s.scale = scale
        s.splitError = splitError
        s.codeBound = codeBound * IVFListScreen.halfStep
        s.queryNorm = queryNorm2.squareRoot()
        s.prepared = true
        return true
    }
}
