import Store
import VectorMath

extension Ranker {
    /// Scores every candidate with the bound model (normalised term values kept for explanations).
    func scoreCandidates() {
        let n = candidateCount
        Self.grow(&candidateScores, to: n, 0)
        Self.grow(&normalized, to: scorer.termCount * features.stride, 0)
        guard n > 0 else { return }
        normalized.withUnsafeMutableBufferPointer { z in
            candidateScores.withUnsafeMutableBufferPointer { s in
                scorer.score(features, normalized: z.baseAddress!, into: s.baseAddress!)
            }
        }
    }

    /// Business rules, MMR and explanations: the best-scored candidates above the minimum
    /// score form the pool (when diversifying or capping: all of them, or `poolFactor * k`;
    /// else `k`),
    /// MMR picks `k` from it under the category caps; when the caps leave it short, the best
    /// remaining candidates the caps allow fill the list.
    func select(_ reader: StoreReader, _ request: RankRequest) throws -> [Recommendation] {
        let n = candidateCount, k = request.k
        let lambda = request.mmr.lambda
        let cap = request.rules.categoryCap
        let diversify = lambda < 1
        if cap != nil && catalog.categories == nil { throw RankingError.noCategoryColumn }
        if diversify && request.mmr.similarity == .jaccard && catalog.categories == nil { throw RankingError.noCategoryColumn }
        let factor = request.mmr.poolFactor
        let poolSize = min(n, diversify || cap != nil ? (factor == 0 ? n : k * factor) : k)
        // Locals for the loops over every candidate: a class property accessed per element
        // costs a dynamic exclusivity check each time.
        var top = heap
        heap = TopK(capacity: 0)
        top.reset(k: poolSize)
        let minimum = request.rules.minScore
        candidateScores.withUnsafeBufferPointer { scores in
            for c in 0 ..< n {
                let s = scores[c]
                if let minimum, !(s >= minimum) { continue }
                top.push(score: s, id: UInt32(c))
            }
        }
        top.sorted(into: &pool)
        heap = top
        let p = pool.count
        guard p > 0 else { return [] }

        Self.grow(&poolRelevance, to: p, 0)
        pool.withUnsafeBufferPointer { pool in
            poolRelevance.withUnsafeMutableBufferPointer { r in
                for i in 0 ..< p { r[i] = pool[i].score }
            }
        }
        poolRelevance.withUnsafeMutableBufferPointer {
            MMR.normalize(UnsafeMutableBufferPointer(rebasing: $0[0 ..< p]),
                          scale: request.mmr.relevance == .minMax ? .minMax : scorer.model.output.relevanceScale, listLength: k)
        }
        // Rescaled similarities need every pair (their min and max); raw ones are computed one
        // row per pick, k rows instead of p (`similarityRow`).
        let matrix = diversify && p > 1 && request.mmr.normalizeSimilarity
        if matrix {
            computePoolSimilarity(p, request.mmr.similarity)
            poolSimilarity.withUnsafeMutableBufferPointer { MMR.normalizeSimilarity(UnsafeMutableBufferPointer(rebasing: $0[0 ..< p * p]), count: p) }
        } else if diversify && p > 1 {
            if request.mmr.similarity == .cosine { gatherPoolVectors(p) }
            Self.grow(&poolSimilarity, to: p, 0)
        }

        Self.grow(&mmrBest, to: p, 0)
        Self.grow(&mmrTaken, to: p, false)
        if cap != nil { for i in capCounts.indices { capCounts[i] = 0 } }
        let categories = catalog.categories
        let kind = request.mmr.similarity, d = dimension
        poolRelevance.withUnsafeBufferPointer { relevance in
            poolSimilarity.withUnsafeMutableBufferPointer { similarity in
              poolVectors.withUnsafeBufferPointer { vectors in
                let s = similarity.baseAddress!
                let row: ((Int) -> UnsafePointer<Float>)?
                if !diversify || p < 2 {
                    row = nil
                } else if matrix {
                    row = { UnsafePointer(s + $0 * p) }
                } else if kind == .cosine {
                    // Cosines of pick `i` to the pool: one pass of the dot kernel over the unit
                    // rows (an OpenBLAS sgemv call per pick cost more than the products).
                    let v = vectors.baseAddress!
                    row = { i in
                        Kernels.dotContiguous(v + i * d, rows: v, count: p, dimension: d, into: s)
                        return UnsafePointer(s)
                    }
                } else {
                    row = { i in
                        self.jaccardRow(i, p, into: s)
                        return UnsafePointer(s)
                    }
                }
                mmrBest.withUnsafeMutableBufferPointer { best in
                    mmrTaken.withUnsafeMutableBufferPointer { taken in
                        MMR.select(relevance: UnsafeBufferPointer(rebasing: relevance[0 ..< p]),
                                   similarityRow: row,
                                   lambda: lambda, k: k, picks: &picks, best: best.baseAddress!, taken: taken.baseAddress!,
                                   penalty: request.mmr.penalty,
                                   eligible: { i in
                                       guard let cap, let categories else { return true }
                                       let row = candidateRows[Int(pool[i].id)]
                                       for q in categories.range(ofItem: row) where capCounts[Int(categories.code(at: q))] >= cap { return false }
                                       return true
                                   },
                                   didPick: { i in
                                       guard cap != nil, let categories else { return }
                                       let row = candidateRows[Int(pool[i].id)]
                                       for q in categories.range(ofItem: row) { capCounts[Int(categories.code(at: q))] += 1 }
                                   })
                    }
                }
              }
            }
        }

        // Picks are pool positions; from here on, candidate indices.
        for j in picks.indices { picks[j] = Int(pool[picks[j]].id) }
        if let cap, let categories, picks.count < k, p < n { fillUnderCaps(k: k, cap: cap, categories, minScore: request.rules.minScore) }

        var out: [Recommendation] = []
        out.reserveCapacity(picks.count)
        for c in picks {
            let row = candidateRows[c]
            let ann = annScores[c]
            var item = Recommendation(row: row, id: try reader.externalID(ofRow: row, .item), score: candidateScores[c],
                                      annScore: ann.isNaN ? nil : ann, explanation: nil)
            if request.explain { item.explanation = try explain(reader, candidate: c) }
            out.append(item)
        }
        return out
    }

    /// When the caps left the pool short of `k`, the best remaining candidates (by score) that
    /// the caps still allow.
    private func fillUnderCaps(k: Int, cap: Int, _ categories: CategoryIndex, minScore: Float?) {
        let n = candidateCount
        Self.grow(&mmrTaken, to: n, false)
        for c in 0 ..< n { mmrTaken[c] = false }
        for c in picks { mmrTaken[c] = true }
        while picks.count < k {
            var choice = -1
            var top = -Float.infinity
            for c in 0 ..< n where !mmrTaken[c] {
                let s = candidateScores[c]
                guard s > top || (choice < 0 && s == top), minScore.map({ s >= $0 }) ?? true else { continue }
                var allowed = true
                for q in categories.range(ofItem: candidateRows[c]) where capCounts[Int(categories.code(at: q))] >= cap { allowed = false }
                if allowed {
                    top = s
                    choice = c
                }
            }
            guard choice >= 0 else { return }
            mmrTaken[choice] = true
            picks.append(choice)
            for q in categories.range(ofItem: candidateRows[choice]) { capCounts[Int(categories.code(at: q))] += 1 }
        }
    }

    /// The pool's vectors scaled to unit length, row by row, into `poolVectors`.
    private func gatherPoolVectors(_ p: Int) {
        let d = dimension
        Self.grow(&poolVectors, to: p * d, 0)
        let pool = pool, inverse = candidateInverseNorms
        candidateVectors.withUnsafeBufferPointer { source in
            poolVectors.withUnsafeMutableBufferPointer { out in
                let from = source.baseAddress!, to = out.baseAddress!
                let wide = d & ~15  // 16 lanes at a time: a plain float loop is not vectorised
                for i in 0 ..< p {
                    let c = Int(pool[i].id), scale = inverse[c]
                    let a = UnsafeRawPointer(from + c * d), b = UnsafeMutableRawPointer(to + i * d)
                    var j = 0
                    while j < wide {
                        let v = a.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self) * scale
                        b.storeBytes(of: v, toByteOffset: j * 4, as: SIMD16<Float>.self)
                        j += 16
                    }
                    while j < d {
                        to[i * d + j] = from[c * d + j] * scale
                        j += 1
                    }
                }
            }
        }
    }

    /// Jaccard overlaps of pool item `i`'s category labels with every pool item's (1 for itself).
    private func jaccardRow(_ i: Int, _ p: Int, into out: UnsafeMutablePointer<Float>) {
        guard let categories = catalog.categories else { return }
        let a = candidateRows[Int(pool[i].id)]
        for j in 0 ..< p { out[j] = j == i ? 1 : categories.jaccard(a, candidateRows[Int(pool[j].id)]) }
    }

    /// `p x p` similarities of the pool (for rescaling, which needs every pair): cosines of the
    /// unit-length pool vectors by one BLAS product, or Jaccard overlaps of category labels.
    private func computePoolSimilarity(_ p: Int, _ kind: MMROptions.Similarity) {
        let d = dimension
        Self.grow(&poolSimilarity, to: p * p, 0)
        switch kind {
        case .cosine:
            gatherPoolVectors(p)
            poolVectors.withUnsafeBufferPointer { v in
                poolSimilarity.withUnsafeMutableBufferPointer { s in
                    BLAS.multiplyTransposed(a: v.baseAddress!, rowsA: p, b: v.baseAddress!, rowsB: p, dimension: d, into: s.baseAddress!)
                }
            }
        case .jaccard:
            poolSimilarity.withUnsafeMutableBufferPointer { s in
                for i in 0 ..< p { jaccardRow(i, p, into: s.baseAddress! + i * p) }
            }
        }
    }

    private func explain(_ reader: StoreReader, candidate c: Int) throws -> Explanation {
        var e = Explanation()
        let at = Int(argMaxSimilarity[c])
        if at >= 0 && at < windowRows.count {
            e.historyRow = windowRows[at]
            e.historyItem = try reader.externalID(ofRow: windowRows[at], .item)
            e.historySimilarity = maxSimilarity[c]
        }
        let stride = features.stride
        let top = normalized.withUnsafeBufferPointer { scorer.topContribution(normalized: $0.baseAddress!, stride: stride, candidate: c) }
        e.topFeature = top?.name
        e.topContribution = top?.value
        return e
    }
}
