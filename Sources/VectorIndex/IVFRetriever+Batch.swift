import LMDB
import Store
import VectorMath

/// Scratch of the batched path, kept by the retriever between calls (a class, so that its
/// arrays are borrowed one at a time).
final class IVFBatchScratch {
    /// Queries of the current group, row-major (normalised for cosine), their squared norms,
    /// and for int8 lists their weights, factors and `q . offset`.
    var queries: [Float] = []
    var norms: [Float] = []
    var weights: [Int16] = []
    var factors: [Float] = []
    var offsetDots: [Float] = []
    /// `group x nlist` BLAS dot products of queries with centroids.
    var dots: [Float] = []
    /// Per query of the group: its probed lists with exact `q . c`, `nprobe` slots each.
    var probed: [ScoredID] = []
    var probedCount: [Int] = []
    /// Counting sort of (query, slot) pairs by list: `listStart[l] ..< listStart[l + 1]`.
    var listStart: [Int] = []
    var fill: [Int] = []
    var pairs: [UInt32] = []
    /// Queries of one list gathered contiguously, and their scores against the list's rows.
    var gathered: [Float] = []
    var products: [Float] = []
    var heaps: [TopK] = []
    /// float32 lists with screens: each query folded for screening (nil: scanned in full), its
    /// int8 parts (`2 x padded dimension` bytes per query), and the pairs of the list being
    /// scanned that still need the block kernel.
    var folded: [IVFScreenQuery?] = []
    var foldParts = UnsafeMutablePointer<Int8>.allocate(capacity: 1)
    var foldCapacity = 1
    var foldWeights: [Float] = []
    var pending: [Int] = []

    deinit { foldParts.deallocate() }
}

extension IVFRetriever {
    /// Queries answered together: their centroid scores are one matrix product and each list
    /// is read once for all of them.
    static let queryGroup = 512
    /// Many queries at once: the centroid scores of a group of queries are one BLAS product,
    /// each probed list is read once and scored against all the group's queries that probe it
    /// (one block kernel per list), then each query ends as `search` does. Gives the same ids
    /// as `search` called once per query.
    public func searchBatch(_ reader: StoreReader, queries: UnsafeBufferPointer<Float>, parameters: SearchParameters,
                            filter: SearchFilter?) throws -> [[ScoredID]] {
        guard queries.count % dimension == 0 else {
            throw IndexError.queryCountMismatch(floats: queries.count, dimension: dimension)
        }
        let total = queries.count / dimension
        let plan = try self.plan(reader, parameters: parameters, filter: filter)
        var results: [[ScoredID]] = []
        results.reserveCapacity(total)
        if plan.exact {
            for q in 0..<total {
                setQuery(queries.baseAddress! + q * dimension)
                results.append(try exactSearch(reader, query: query, k: parameters.k, filter: filter!))
            }
            return results
        }
        var start = 0
        while start < total {
            let n = min(Self.queryGroup, total - start)
            try searchGroup(reader, queries: queries.baseAddress! + start * dimension, count: n,
                            parameters: parameters, plan: plan, into: &results)
            start += n
        }
        return results
    }

    private func searchGroup(_ reader: StoreReader, queries source: UnsafePointer<Float>, count nq: Int,
                             parameters: SearchParameters, plan: Plan, into results: inout [[ScoredID]]) throws {
        let info = index.info, d = dimension, nlist = info.lists, txn = reader.transaction
        let nprobe = plan.nprobe
        prepareBatch(queries: source, count: nq, nprobe: nprobe, k: index.candidateCount(k: parameters.k))

        // Rank lists for every query: one product for all queries, then exact re-ranking.
        try withModel(txn) { centroids, stats in
            batch.queries.withUnsafeBufferPointer { q in
                batch.dots.withUnsafeMutableBufferPointer { out in
                    BLAS.multiplyTransposed(a: q.baseAddress!, rowsA: nq, b: centroids, rowsB: nlist, dimension: d,
                                            into: out.baseAddress!)
                }
            }
            for i in 0..<nq {
                batch.queries.withUnsafeBufferPointer { q in
                    batch.dots.withUnsafeBufferPointer { dots in
                        chooseLists(query: q.baseAddress! + i * d, dots: dots.baseAddress! + i * nlist, exact: false, centroids: centroids,
                                    stats: stats, nprobe: nprobe)
                    }
                }
                batch.probedCount[i] = chosen.count
                for (slot, probe) in chosen.enumerated() { batch.probed[i * nprobe + slot] = probe }
            }
        }

        // Group (query, slot) pairs by list.
        for l in 0...nlist { batch.listStart[l] = 0 }
        for i in 0..<nq {
            for slot in 0..<batch.probedCount[i] { batch.listStart[Int(batch.probed[i * nprobe + slot].id) + 1] += 1 }
        }
        for l in 0..<nlist { batch.listStart[l + 1] += batch.listStart[l] }
        for l in 0..<nlist { batch.fill[l] = batch.listStart[l] }
        for i in 0..<nq {
            for slot in 0..<batch.probedCount[i] {
                let l = Int(batch.probed[i * nprobe + slot].id)
                batch.pairs[batch.fill[l]] = UInt32(i * nprobe + slot)
                batch.fill[l] += 1
            }
        }

        // Scan each probed list once, in list order.
        for l in 0..<nlist where batch.listStart[l + 1] > batch.listStart[l] {
            try withList(txn, UInt32(l)) { posting in
                guard let posting, posting.count > 0 else { return }
                scanBatch(posting, list: l, pairs: batch.listStart[l] ..< batch.listStart[l + 1], nprobe: nprobe, accept: plan.accept)
            }
        }

        for i in 0..<nq {
            batch.queries.withUnsafeBufferPointer { setQuery($0.baseAddress! + i * d, normalized: true) }
            if batch.heaps[i].count < parameters.k {
                var probed = (0..<batch.probedCount[i]).map { batch.probed[i * nprobe + $0].id }
                try probeMore(txn, probed: &probed, nprobe: nprobe, k: parameters.k, accept: plan.accept, into: &batch.heaps[i])
            }
            results.append(try finish(reader, k: parameters.k, heap: batch.heaps[i]))
        }
    }

    private func prepareBatch(queries source: UnsafePointer<Float>, count nq: Int, nprobe: Int, k: Int) {
        let d = dimension, nlist = index.info.lists
        func grow<T>(_ a: inout [T], _ n: Int, _ zero: T) { if a.count < n { a = [T](repeating: zero, count: n) } }
        grow(&batch.queries, nq * d, 0)
        grow(&batch.norms, nq, 0)
        grow(&batch.dots, nq * nlist, 0)
        grow(&batch.probed, nq * nprobe, ScoredID(id: 0, score: 0))
        grow(&batch.probedCount, nq, 0)
        grow(&batch.listStart, nlist + 1, 0)
        grow(&batch.fill, nlist, 0)
        grow(&batch.pairs, nq * nprobe, 0)
        batch.queries.withUnsafeMutableBufferPointer { dst in
            dst.baseAddress!.update(from: source, count: nq * d)
            for i in 0..<nq {
                let row = dst.baseAddress! + i * d
                if metric == .cosine { Distance.normalize(row, count: d) }
                batch.norms[i] = Distance.squaredNorm(row, count: d)
            }
            if let quantizer = index.quantizer {
                grow(&batch.weights, nq * d, 0)
                grow(&batch.factors, nq, 0)
                grow(&batch.offsetDots, nq, 0)
                batch.weights.withUnsafeMutableBufferPointer { w in
                    for i in 0..<nq {
                        (batch.factors[i], batch.offsetDots[i]) = quantizer.prepare(query: dst.baseAddress! + i * d,
                                                                                    weights: w.baseAddress! + i * d)
                    }
                }
            }
        }
        while batch.heaps.count < nq { batch.heaps.append(TopK(capacity: k)) }
        for i in 0..<nq { batch.heaps[i].reset(k: k) }
        foldForScreens(count: nq)
    }

    /// Folds every query of the group for screening when the lists scanned have screens
    /// (the resident copy of float32 lists); otherwise leaves `batch.folded` all nil.
    private func foldForScreens(count nq: Int) {
        let d = dimension, padded = (d + 3) / 4 * 4
        if batch.folded.count < nq { batch.folded = [IVFScreenQuery?](repeating: nil, count: nq) }
        for i in 0..<nq { batch.folded[i] = nil }
        guard screensLists, let copy = lists, let quantizer = copy.screenQuantizer else { return }
        if batch.foldCapacity < nq * 2 * padded {
            batch.foldParts.deallocate()
            batch.foldCapacity = nq * 2 * padded
            batch.foldParts = .allocate(capacity: batch.foldCapacity)
        }
        if batch.foldWeights.count < d { batch.foldWeights = [Float](repeating: 0, count: d) }
        let parts = batch.foldParts
        batch.queries.withUnsafeBufferPointer { q in
            batch.foldWeights.withUnsafeMutableBufferPointer { w in
                for i in 0..<nq {
                    let hi = parts + i * 2 * padded
                    batch.folded[i] = Self.fold(q.baseAddress! + i * d, queryNorm2: batch.norms[i], quantizer: quantizer,
                                                dimension: d, weights: w.baseAddress!, hi: hi, lo: hi + padded)
                }
            }
        }
    }

    /// Scores one list against every query that probes it (`pairs` index `batch.pairs`):
    /// float32 by one block kernel (the list read from memory once for all those queries,
    /// scores bit-identical to the single path's), except that a query whose heap is full is
    /// screened by the list's codes when it has them (`screened`, as single queries are);
    /// int8 query by query from the codes (exact integer sums; the list stays in cache after
    /// the first query).
    private func scanBatch(_ posting: IVFPostingList, list l: Int, pairs: Range<Int>, nprobe: Int, accept: ((UInt32) -> Bool)?) {
        let n = posting.count, d = dimension
        if posting.encoding == .int8 {
            reserveScores(n)
            entryScores.withUnsafeMutableBufferPointer { out in
                batch.weights.withUnsafeBufferPointer { w in
                    for p in pairs {
                        let pair = Int(batch.pairs[p]), i = pair / nprobe
                        codeDots(posting, weights: w.baseAddress! + i * d, factor: batch.factors[i],
                                 base: batch.probed[pair].score + batch.offsetDots[i], into: out.baseAddress!)
                        offerApproximate(dots: out.baseAddress!, posting: posting, queryNorm2: batch.norms[i], accept: accept,
                                         into: &batch.heaps[i])
                    }
                }
            }
            return
        }
        batch.pending.removeAll(keepingCapacity: true)
        let screen = screensLists ? lists?.screens[l] : nil
        batch.queries.withUnsafeBufferPointer { q in
            for p in pairs {
                let pair = Int(batch.pairs[p]), i = pair / nprobe
                if let screen, let folded = batch.folded[i], batch.heaps[i].isFull,
                   screened(posting, screen: screen, folded: folded, query: q.baseAddress! + i * d, queryNorm2: batch.norms[i],
                            centroidDot: batch.probed[pair].score, accept: accept, into: &batch.heaps[i]) {
                    continue
                }
                batch.pending.append(p)
            }
        }
        let m = batch.pending.count
        guard m > 0 else { return }
        if batch.products.count < m * n { batch.products = [Float](repeating: 0, count: max(m * n, 2 * batch.products.count)) }
        gatherQueries(nprobe: nprobe)
        batch.products.withUnsafeMutableBufferPointer { out in
            let scores = out.baseAddress!
            batch.gathered.withUnsafeBufferPointer { g in
                if metric == .l2 {
                    Kernels.squaredL2Block(queries: g.baseAddress!, queryCount: m, rows: posting.floatVector(0), rowCount: n,
                                           dimension: d, into: scores)
                    for j in 0 ..< m * n { scores[j] = -scores[j] }
                } else {
                    Kernels.dotBlock(queries: g.baseAddress!, queryCount: m, rows: posting.floatVector(0), rowCount: n,
                                     dimension: d, into: scores)
                }
            }
            for (r, p) in batch.pending.enumerated() {
                let i = Int(batch.pairs[p]) / nprobe
                offer(scores: scores + r * n, posting: posting, accept: accept, into: &batch.heaps[i])
            }
        }
    }

    /// Copies the queries of the pairs in `batch.pending` into `batch.gathered`, one row each.
    private func gatherQueries(nprobe: Int) {
        let d = dimension, m = batch.pending.count
        if batch.gathered.count < m * d { batch.gathered = [Float](repeating: 0, count: m * d) }
        batch.gathered.withUnsafeMutableBufferPointer { g in
            batch.queries.withUnsafeBufferPointer { q in
                for (r, p) in batch.pending.enumerated() {
                    let i = Int(batch.pairs[p]) / nprobe
                    (g.baseAddress! + r * d).update(from: q.baseAddress! + i * d, count: d)
                }
            }
        }
    }
}
