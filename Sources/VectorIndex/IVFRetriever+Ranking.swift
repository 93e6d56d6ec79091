import LMDB
import Store
import VectorMath

extension IVFRetriever {
    /// Lists ranked beyond `nprobe` by the first scores (BLAS in batches) and ranked again
    /// with the kernel's dot products, so that batched and single queries (whose products may
    /// round differently) probe the same lists.
    static let rankMargin = 8

    /// Calls `body` with the centroids (the build's, from memory) and the list summaries of
    /// the snapshot.
    func withModel<R>(_ txn: Transaction, _ body: (UnsafePointer<Float>, UnsafeRawBufferPointer) throws -> R) throws -> R {
        let nlist = index.info.lists
        if centroidDots.count < nlist { centroidDots = [Float](repeating: 0, count: nlist) }
        return try index.tables.withModel(.listStats, in: txn) { stats in
            guard let stats, stats.count == nlist * IVFLayout.listStatsBytes else {
                throw IndexError.corruptIndex(table: IVFLayout.Table.model.rawValue, reason: "list_stats: \(stats?.count ?? 0) bytes, expected \(nlist * IVFLayout.listStatsBytes)")
            }
            return try body(index.centroids.floats, stats)
        }
    }

    /// Ranks the lists for `query` (one contiguous-row kernel call over the centroids) and
    /// leaves the `nprobe` best in `chosen`.
    func rank(_ txn: Transaction, nprobe: Int) throws {
        let nlist = index.info.lists
        try withModel(txn) { centroids, stats in
            query.withUnsafeBufferPointer { qb in
                rankedByCodes = false
                if ranksListsByCodes, let codes = index.centroids.codes,
                   rankByCodes(codes, query: qb.baseAddress!, centroids: centroids, stats: stats, nprobe: nprobe) {
                    rankedByCodes = true
                    return
                }
                centroidDots.withUnsafeMutableBufferPointer { out in
                    Kernels.dotContiguous(qb.baseAddress!, rows: centroids, count: nlist, dimension: dimension,
                                          into: out.baseAddress!)
                    chooseLists(query: qb.baseAddress!, dots: out.baseAddress!, exact: true, centroids: centroids,
                                stats: stats, nprobe: nprobe)
                }
            }
        }
    }

    /// `rank` from the centroid codes (l2 and cosine): the lists whose code score is within the
    /// codes' tolerance of the `nprobe`-th best get their exact `q . c` (the kernel `rank` uses
    /// otherwise), and the `nprobe` best of those by `listRank` are chosen: the same lists, in
    /// the same order, as ranking every list exactly. False when the query cannot be folded.
    func rankByCodes(_ codes: CentroidCodes, query q: UnsafePointer<Float>, centroids: UnsafePointer<Float>,
                     stats: UnsafeRawBufferPointer, nprobe: Int) -> Bool {
        let nlist = index.info.lists, d = dimension, s = rankScratch
        guard let (_, tolerance) = codes.codeScores(q, scratch: s) else { return false }
        codeTop.reset(k: nprobe)
        for l in 0..<nlist where s.scores[l] >= codeTop.threshold && IVFListStats.read(stats, list: l).count > 0 {
            codeTop.push(score: s.scores[l], id: UInt32(l))
        }
        let floor = codeTop.isFull ? codeTop.threshold - tolerance : -Float.infinity
        let survivors = BlockedCodes.atLeast(s.scores, count: nlist, minScore: floor, into: s.passing)
        if exactDots.count < nlist { exactDots = [Float](repeating: 0, count: nlist) }
        probes.reset(k: nprobe)
        for p in 0..<survivors {
            let l = Int(s.passing[p])
            let listStats = IVFListStats.read(stats, list: l)
            guard listStats.count > 0 else { continue }
            var dot: Float = 0
            Kernels.dotContiguous(q, rows: centroids + l * d, count: 1, dimension: d, into: &dot)
            exactDots[l] = dot
            let rank = listRank(dot: dot, stats: listStats, queryNorm: 0)
            if rank >= probes.threshold { probes.push(score: rank, id: UInt32(l)) }
        }
        probes.sorted(into: &chosen)
        for i in chosen.indices { chosen[i].score = exactDots[Int(chosen[i].id)] }
        return true
    }

    /// Fills `chosen` with the `nprobe` best non-empty lists for one query, best first, each
    /// with its exact `q . c` as score. `dots` holds `q . c` of every list: `exact` when they
    /// come from the kernel the exact scores use (the single path), otherwise from BLAS (the
    /// batched path), whose short list is then ranked again by the kernel's dots.
    func chooseLists(query q: UnsafePointer<Float>, dots: UnsafePointer<Float>, exact: Bool, centroids: UnsafePointer<Float>,
                     stats: UnsafeRawBufferPointer, nprobe: Int) {
        let nlist = index.info.lists, d = dimension
        let queryNorm = metric == .innerProduct ? Distance.squaredNorm(q, count: d).squareRoot() : 0
        probes.reset(k: exact ? nprobe : nprobe + Self.rankMargin)
        for l in 0..<nlist {
            let s = IVFListStats.read(stats, list: l)
            guard s.count > 0 else { continue }
            let rank = listRank(dot: dots[l], stats: s, queryNorm: queryNorm)
            if rank >= probes.threshold { probes.push(score: rank, id: UInt32(l)) }
        }
        probes.sorted(into: &chosen)
        if exact {
            for i in chosen.indices { chosen[i].score = dots[Int(chosen[i].id)] }
            return
        }
        finalists.reset(k: nprobe)
        if exactDots.count < nlist { exactDots = [Float](repeating: 0, count: nlist) }
        for p in chosen {
            let l = Int(p.id)
            var dot: Float = 0
            Kernels.dotContiguous(q, rows: centroids + l * d, count: 1, dimension: d, into: &dot)
            exactDots[l] = dot
            finalists.push(score: listRank(dot: dot, stats: IVFListStats.read(stats, list: l), queryNorm: queryNorm), id: p.id)
        }
        finalists.sorted(into: &chosen)
        for i in chosen.indices { chosen[i].score = exactDots[Int(chosen[i].id)] }
    }

    /// The rank of a list for a query (higher is probed first).
    @inline(__always)
    func listRank(dot: Float, stats: IVFListStats, queryNorm: Float) -> Float {
        switch metric {
        case .l2, .cosine: return 2 * dot - stats.centroidSquaredNorm
        case .innerProduct: return dot + index.info.boundWeight * queryNorm * stats.maxResidualNorm
        }
    }

    /// Scans `lists` (ids with their exact `q . c`) for `query`, except those in `skipping`.
    func probe(_ txn: Transaction, _ lists: [ScoredID], skipping: Set<UInt32>?, accept: ((UInt32) -> Bool)?,
               into heap: inout TopK) throws {
        for list in lists where !(skipping?.contains(list.id) ?? false) {
            try withList(txn, list.id) { posting in
                guard let posting, posting.count > 0 else { return }
                if screensLists, let copy = self.lists, let screen = copy.screens[Int(list.id)], let quantizer = copy.screenQuantizer,
                   screenedScan(posting, screen: screen, quantizer: quantizer, centroidDot: list.score, accept: accept, into: &heap) {
                    return
                }
                scan(posting, centroidDot: list.score, accept: accept, into: &heap)
            }
        }
    }

    /// When the probed lists hold fewer than `k` rows that pass (small lists, a filter),
    /// probes twice as many lists, then twice again, until `k` are found or every list is read.
    /// Both the single and the batched path end this way, from the lists they probed.
    func probeMore(_ txn: Transaction, probed: inout [UInt32], nprobe: Int, k: Int, accept: ((UInt32) -> Bool)?,
                   into heap: inout TopK) throws {
        let nlist = index.info.lists
        var done = Set(probed)
        var wanted = nprobe
        while heap.count < k && wanted < nlist {
            wanted = min(nlist, wanted * 2)
            try rank(txn, nprobe: wanted)
            try probe(txn, chosen, skipping: done, accept: accept, into: &heap)
            for list in chosen where done.insert(list.id).inserted { probed.append(list.id) }
        }
    }
}
