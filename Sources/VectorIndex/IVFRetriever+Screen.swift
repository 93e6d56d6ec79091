import VectorMath

/// A query folded into the residual quantizer of the lists' screens and split into two int8
/// parts (`hi`, `lo`, owned by the caller's scratch): `q . r^ = constant + scale * (hi . code +
/// lo . code / 254) +- splitError`; `codeBound` is `sum_j |q_j| step_j * halfStep` (the bound
/// for unclipped lists), `queryNorm` is `|q|`.
struct IVFScreenQuery {
    var constant: Float
    var scale: Float
    var splitError: Float
    var codeBound: Float
    var queryNorm: Float
    let hi: UnsafePointer<Int8>
    let lo: UnsafePointer<Int8>
}

/// One retriever's scratch for screening float32 lists by their codes (`IVFListScreen`): the
/// single query's folded form (made on its first screened list) and the rows that pass.
final class IVFScreenScratch {
    let query: BlockedQueryScratch
    /// Whether `folded` holds the current query's values (reset by `setQuery`).
    var prepared = false
    var folded: IVFScreenQuery?
    /// Rows screened and rows scored again in float32, since the retriever was made (reports, tests).
    var screenedRows = 0
    var rescoredRows = 0

    init(dimension: Int) { query = BlockedQueryScratch(dimension: dimension) }
}

extension IVFRetriever {
    /// Scans a float32 list through its screen for the current single query (see `screened`).
    func screenedScan(_ posting: IVFPostingList, screen: IVFListScreen, quantizer: ScalarQuantizer, centroidDot: Float,
                      accept: ((UInt32) -> Bool)?, into heap: inout TopK) -> Bool {
        let s = screenScratch
        guard heap.isFull else { return false }
        if !s.prepared {
            s.folded = query.withUnsafeBufferPointer {
                Self.fold($0.baseAddress!, queryNorm2: queryNorm2, quantizer: quantizer, dimension: dimension,
                          weights: s.query.weights, hi: s.query.hi, lo: s.query.lo)
            }
            s.prepared = true
        }
        guard let folded = s.folded else { return false }
        return query.withUnsafeBufferPointer {
            screened(posting, screen: screen, folded: folded, query: $0.baseAddress!, queryNorm2: queryNorm2,
                     centroidDot: centroidDot, accept: accept, into: &heap)
        }
    }

    /// Scans a float32 list through its screen: rows whose code score cannot reach `heap`'s
    /// threshold are never scored in float32; the rest are scored exactly (the same kernel and
    /// score as `exactScores`) and offered. Returns false (nothing done) while the heap is not
    /// full or when the bound is not finite: the caller then scans the list in full.
    func screened(_ posting: IVFPostingList, screen: IVFListScreen, folded f: IVFScreenQuery, query q: UnsafePointer<Float>,
                  queryNorm2: Float, centroidDot: Float, accept: ((UInt32) -> Bool)?, into heap: inout TopK) -> Bool {
        let threshold = heap.threshold
        guard threshold > -.infinity, threshold.isFinite else { return false }
        let isL2 = metric == .l2
        // Score units: l2 `-|q - x|^2 = 2 q.x - |x|^2 - |q|^2`, otherwise `q.x`, with
        // `q.x = q.c + q.r^ +- bound` and `q.r^ = constant + scale * f +- splitError`.
        var bound = f.queryNorm * screen.maxErrorNorm
        if !screen.clipped { bound = min(bound, f.codeBound) }
        let error = (bound + f.splitError) * 1.001
        let known = centroidDot + f.constant + error
        let factor: Float = isL2 ? 2 : 1
        // The smallest f + alpha |x|^2 a row needs: (threshold [+ |q|^2] - factor * known) / (factor * scale),
        // lowered by the float rounding of both sides.
        let target = isL2 ? threshold + queryNorm2 - 2 * known : threshold - known
        let magnitude = abs(threshold) + queryNorm2 + factor * (abs(centroidDot) + abs(f.constant)) + screen.maxSquaredNorm
        let alpha: Float = isL2 ? -0.5 / f.scale : 0
        let minScore = (target - 1e-5 * magnitude) / (factor * f.scale) - 2 - 1e-5 * abs(alpha) * screen.maxSquaredNorm
        guard minScore.isFinite else { return false }
        let n = posting.count, d = dimension
        let s = screenScratch, rows = s.query
        rows.reserve(rows: n)
        let passed = BlockedCodes.scan(screen.blocks, rows: n, dimension: d, hi: f.hi, lo: f.lo,
                                       rowTerms: isL2 ? posting.norms : nil, alpha: alpha, minScore: minScore,
                                       into: rows.passing)
        s.screenedRows &+= n
        s.rescoredRows &+= passed
        var current = heap.threshold
        for p in 0..<passed {
            let i = Int(rows.passing[p])
            let score = Self.exactScore(metric, q, posting.floatVector(i), count: d)
            guard score >= current else { continue }
            let id = posting.ids[i]
            if let accept, !accept(id) { continue }
            heap.push(score: score, id: id)
            current = heap.threshold
        }
        return true
    }

    /// Folds query `q` into `quantizer` (residual frame) and splits it into `hi` and `lo`
    /// (`weights` is scratch); nil when a value is not finite.
    static func fold(_ q: UnsafePointer<Float>, queryNorm2: Float, quantizer: ScalarQuantizer, dimension d: Int,
                     weights: UnsafeMutablePointer<Float>, hi: UnsafeMutablePointer<Int8>,
                     lo: UnsafeMutablePointer<Int8>) -> IVFScreenQuery? {
        let constant = quantizer.prepare(q, metric: .innerProduct, weights: weights)
        let (scale, splitError) = BlockedCodes.split(weights, dimension: d, hi: hi, lo: lo)
        var codeBound: Float = 0
        for j in 0..<d { codeBound += abs(weights[j]) }
        guard scale.isFinite, scale > 0, constant.isFinite, codeBound.isFinite else { return nil }
        return IVFScreenQuery(constant: constant, scale: scale, splitError: splitError,
                              codeBound: codeBound * IVFListScreen.halfStep, queryNorm: queryNorm2.squareRoot(),
                              hi: hi, lo: lo)
    }
}
