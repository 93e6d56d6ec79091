import Store
import VectorMath

extension IVFRetriever {
    /// float32 lists larger than this in all (bytes) are scanned row by row with the SIMD
    /// kernel, smaller ones by OpenBLAS's sgemv. Measured here (EPYC, 32 MiB L3, 1,000 queries,
    /// CPU time): sgemv is 20-30% faster on 100k x 128 (51 MB of lists, mostly in cache), the
    /// SIMD kernel 10-20% faster on 1M x 128 (512 MB streamed from memory).
    static let streamingThreshold = 128 << 20

    /// Scores every row of one list against `query` and offers those that pass to `heap`.
    /// `centroidDot` is the exact `q . c` of the list.
    func scan(_ posting: IVFPostingList, centroidDot: Float, accept: ((UInt32) -> Bool)?, into heap: inout TopK) {
        let n = posting.count
        if entryScores.count < n + 3 { entryScores = [Float](repeating: 0, count: max(n + 3, 2 * entryScores.count)) }
        entryScores.withUnsafeMutableBufferPointer { out in
            let scores = out.baseAddress!
            query.withUnsafeBufferPointer { q in
                switch posting.encoding {
                case .float32:
                    rowDots(posting, query: q.baseAddress!, into: scores)
                    offerExact(dots: scores, posting: posting, query: q.baseAddress!, queryNorm2: queryNorm2, accept: accept, into: &heap)
                case .int8:
                    weights.withUnsafeBufferPointer { w in
                        codeDots(posting, weights: w.baseAddress!, factor: weightFactor, base: centroidDot + offsetDot, into: scores)
                    }
                    offerApproximate(dots: scores, posting: posting, queryNorm2: queryNorm2, accept: accept, into: &heap)
                }
            }
        }
    }

    /// float32: `q . x` of every row: one sgemv, or for large indexes (lists streamed from
    /// memory rather than cache) the SIMD kernel row by row (see `streamingThreshold`).
    func rowDots(_ posting: IVFPostingList, query q: UnsafePointer<Float>, into scores: UnsafeMutablePointer<Float>) {
        let d = dimension
        if index.info.entries * d * 4 <= Self.streamingThreshold {
            BLAS.multiplyTransposed(a: q, rowsA: 1, b: posting.floatVector(0), rowsB: posting.count, dimension: d, into: scores)
        } else {
            for i in 0..<posting.count { scores[i] = Distance.dot(q, posting.floatVector(i), count: d) }
        }
    }

    /// int8: `q . x` estimated from the codes, `base + factor * sum(w * code)`, for every row
    /// (`weights` and `factor` from `IVFInt8Quantizer.prepare`, `base` = `q . c + q . offset`).
    func codeDots(_ posting: IVFPostingList, weights w: UnsafePointer<Int16>, factor: Float, base: Float,
                  into scores: UnsafeMutablePointer<Float>) {
        let n = posting.count, d = dimension
        codeDots.withUnsafeMutableBufferPointer { four in
            var i = 0
            while i &+ 4 <= n {
                IVFInt8Quantizer.dot4(w, posting.codes(i), dimension: d, into: four.baseAddress!)
                for t in 0..<4 { scores[i &+ t] = base + factor * Float(four[t]) }
                i &+= 4
            }
            while i < n {
                scores[i] = base + factor * Float(IVFInt8Quantizer.dot(w, posting.codes(i), dimension: d))
                i &+= 1
            }
        }
    }

    /// float32 lists: offers the rows whose dot product (by BLAS or the SIMD kernel) may reach
    /// the heap, each with its exact score from the SIMD kernel (the project score: `q . x`, or
    /// `-|q - x|^2` for l2), so the kept scores do not depend on how the dots were summed.
    @inline(__always)
    func offerExact(dots: UnsafePointer<Float>, posting: IVFPostingList, query q: UnsafePointer<Float>, queryNorm2: Float,
                    accept: ((UInt32) -> Bool)?, into heap: inout TopK) {
        let isL2 = metric == .l2, d = dimension
        var threshold = heap.threshold
        for i in 0..<posting.count {
            let approximate = isL2 ? 2 * dots[i] - posting.norms[i] - queryNorm2 : dots[i]
            // BLAS and the SIMD kernel round differently: keep a margin far above that.
            let margin = 1e-4 * (abs(approximate) + (isL2 ? posting.norms[i] + queryNorm2 : abs(threshold)) + 1e-6)
            guard approximate + margin >= threshold else { continue }
            let id = posting.ids[i]
            if let accept, !accept(id) { continue }
            heap.push(score: Self.exactScore(metric, q, posting.floatVector(i), count: d), id: id)
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
    /// candidates are re-scored in float32 from the store's vectors (a vacant row is dropped).
    func finish(_ reader: StoreReader, k: Int, heap: TopK) throws -> [ScoredID] {
        guard index.info.encoding == .int8 else { return heap.sorted() }
        heap.sorted(into: &sortedScratch)
        finalists.reset(k: k)
        let metric = self.metric
        try query.withUnsafeBufferPointer { qb in
            for candidate in sortedScratch {
                try Self.store {
                    try reader.withVector(ofRow: candidate.id, .item) { v in
                        guard let v else { return }
                        finalists.push(score: Self.exactScore(metric, qb.baseAddress!, v.baseAddress!, count: v.count), id: candidate.id)
                    }
                }
            }
        }
        return finalists.sorted()
    }

    /// The project score of a row (l2: minus the squared distance).
    @inline(__always)
    static func exactScore(_ metric: Metric, _ q: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int) -> Float {
        metric == .l2 ? -Distance.squaredL2(q, x, count: count) : Distance.dot(q, x, count: count)
    }
}
