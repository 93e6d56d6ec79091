import Store
import VectorMath

extension IVFRetriever {
    /// Scores every row of one list against `query` and offers those that pass to `heap`.
    /// `centroidDot` is the exact `q . c` of the list.
    func scan(_ posting: IVFPostingList, centroidDot: Float, accept: ((UInt32) -> Bool)?, into heap: inout TopK) {
        let n = posting.count
        reserveScores(n)
        entryScores.withUnsafeMutableBufferPointer { out in
            let scores = out.baseAddress!
            query.withUnsafeBufferPointer { q in
                switch posting.encoding {
                case .float32:
                    exactScores(posting, query: q.baseAddress!, into: scores)
                    offer(scores: scores, posting: posting, accept: accept, into: &heap)
                case .int8:
                    weights.withUnsafeBufferPointer { w in
                        codeDots(posting, weights: w.baseAddress!, factor: weightFactor, base: centroidDot + offsetDot, into: scores)
                    }
                    offerApproximate(dots: scores, posting: posting, queryNorm2: queryNorm2, accept: accept, into: &heap)
                }
            }
        }
    }

    /// Grows the per-row scratch to hold `n` rows.
    func reserveScores(_ n: Int) {
        if entryScores.count < n { entryScores = [Float](repeating: 0, count: max(n, 2 * entryScores.count)) }
        if codeSums.count < n { codeSums = [Int32](repeating: 0, count: max(n, 2 * codeSums.count)) }
    }

    /// float32: the project score of every row (`q . x`, or `-|q - x|^2` for l2) by the
    /// run-time-dispatched contiguous kernels (`Kernels.dotContiguous`, `squaredL2Contiguous`),
    /// bit-identical to what the batched path's block kernels give.
    func exactScores(_ posting: IVFPostingList, query q: UnsafePointer<Float>, into scores: UnsafeMutablePointer<Float>) {
        let n = posting.count, d = dimension
        if metric == .l2 {
            Kernels.squaredL2Contiguous(q, rows: posting.floatVector(0), count: n, dimension: d, into: scores)
            for i in 0..<n { scores[i] = -scores[i] }
        } else {
            Kernels.dotContiguous(q, rows: posting.floatVector(0), count: n, dimension: d, into: scores)
        }
    }

    /// int8: `q . x` estimated from the codes, `base + factor * sum(w * code)`, for every row
    /// (`weights` and `factor` from `IVFInt8Quantizer.prepare`, `base` = `q . c + q . offset`);
    /// the integer sums by `Kernels.i16i8DotContiguous` are exact.
    func codeDots(_ posting: IVFPostingList, weights w: UnsafePointer<Int16>, factor: Float, base: Float,
                  into scores: UnsafeMutablePointer<Float>) {
        let n = posting.count
        codeSums.withUnsafeMutableBufferPointer { sums in
            Kernels.i16i8DotContiguous(weights: w, codes: posting.codes(0), count: n, dimension: dimension,
                                       into: sums.baseAddress!)
            for i in 0..<n { scores[i] = base + factor * Float(sums[i]) }
        }
    }

    /// float32 lists: offers the rows whose exact score reaches the heap.
    @inline(__always)
    func offer(scores: UnsafePointer<Float>, posting: IVFPostingList, accept: ((UInt32) -> Bool)?, into heap: inout TopK) {
        var threshold = heap.threshold
        for i in 0..<posting.count where scores[i] >= threshold {
            let id = posting.ids[i]
            if let accept, !accept(id) { continue }
            heap.push(score: scores[i], id: id)
            threshold = heap.threshold
        }
    }

    /// int8 lists: offers the rows by their estimated score (re-scored by `finish`).
    @inline(__always)
    func offerApproximate(dots: UnsafePointer<Float>, posting: IVFPostingList, queryNorm2: Float,
                          accept: ((UInt32) -> Bool)?, into heap: inout TopK) {
        let isL2 = metric == .l2
        var threshold = heap.threshold
        for i in 0..<posting.count {
            let s = isL2 ? 2 * dots[i] - posting.norms[i] - queryNorm2 : dots[i]
            guard s >= threshold else { continue }
            let id = posting.ids[i]
            if let accept, !accept(id) { continue }
            heap.push(score: s, id: id)
            threshold = heap.threshold
        }
    }

    /// The answer from a query's heap: float32 heaps hold exact scores already; int8
    /// candidates are re-scored in float32 from the store's vectors, read in place through the
    /// snapshot's vector table (a vacant row is dropped).
    func finish(_ reader: StoreReader, k: Int, heap: TopK) throws -> [ScoredID] {
        guard index.info.encoding == .int8 else { return heap.sorted() }
        let table = try vectors(reader)
        heap.sorted(into: &sortedScratch)
        finalists.reset(k: k)
        let metric = self.metric, d = dimension
        query.withUnsafeBufferPointer { qb in
            for candidate in sortedScratch where table.hasVector(candidate.id) {
                finalists.push(score: Self.exactScore(metric, qb.baseAddress!, table.vector(candidate.id)!, count: d), id: candidate.id)
            }
        }
        return finalists.sorted()
    }

    /// The vector table of `reader`'s snapshot (cached while the snapshot is the same).
    func vectors(_ reader: StoreReader) throws -> VectorTable {
        try Self.store { try tables.table(reader) }
    }

    /// The project score of a row (l2: minus the squared distance), by the same contiguous
    /// kernel as list scans, so a row scored here and in a list gets the same score.
    @inline(__always)
    static func exactScore(_ metric: Metric, _ q: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var s: Float = 0
        if metric == .l2 {
            Kernels.squaredL2Contiguous(q, rows: x, count: 1, dimension: count, into: &s)
            return -s
        }
        Kernels.dotContiguous(q, rows: x, count: 1, dimension: count, into: &s)
        return s
    }
}
