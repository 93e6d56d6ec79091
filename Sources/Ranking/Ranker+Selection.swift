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
    /// score form the pool (`poolFactor * k` of them when diversifying or capping, else `k`),
    /// MMR picks `k` from it under the category caps; when the caps leave it short, the best
    /// remaining candidates the caps allow fill the list.
    func select(_ reader: StoreReader, _ request: RankRequest) throws -> [Recommendation] {
        let n = candidateCount, k = request.k
        let lambda = request.mmr.lambda
        let cap = request.rules.categoryCap
        let diversify = lambda < 1
        if cap != nil && catalog.categories == nil { throw RankingError.noCategoryColumn }
        if diversify && request.mmr.similarity == .jaccard && catalog.categories == nil { throw RankingError.noCategoryColumn }
        let poolSize = min(n, diversify || cap != nil ? k * request.mmr.poolFactor : k)
        heap.reset(k: poolSize)
        for c in 0 ..< n {
            let s = candidateScores[c]
            if let minimum = request.rules.minScore, !(s >= minimum) { continue }
            heap.push(score: s, id: UInt32(c))
        }
        heap.sorted(into: &pool)
        let p = pool.count
        guard p > 0 else { return [] }

        Self.grow(&poolRelevance, to: p, 0)
        for i in 0 ..< p { poolRelevance[i] = pool[i].score }
        poolRelevance.withUnsafeMutableBufferPointer {
            MMR.normalize(UnsafeMutableBufferPointer(rebasing: $0[0 ..< p]),
                          scale: request.mmr.relevance == .minMax ? .minMax : scorer.model.output.relevanceScale, listLength: k)
        }
        if diversify && p > 1 {
            computePoolSimilarity(p, request.mmr.similarity)
            if request.mmr.normalizeSimilarity {
                poolSimilarity.withUnsafeMutableBufferPointer { MMR.normalizeSimilarity(UnsafeMutableBufferPointer(rebasing: $0[0 ..< p * p]), count: p) }
            }
        }

        Self.grow(&mmrBest, to: p, 0)
        Self.grow(&mmrTaken, to: p, false)
        if cap != nil { for i in capCounts.indices { capCounts[i] = 0 } }
        let categories = catalog.categories
        poolRelevance.withUnsafeBufferPointer { relevance in
            poolSimilarity.withUnsafeBufferPointer { similarity in
                mmrBest.withUnsafeMutableBufferPointer { best in
                    mmrTaken.withUnsafeMutableBufferPointer { taken in
                        MMR.select(relevance: UnsafeBufferPointer(rebasing: relevance[0 ..< p]),
                                   similarity: diversify && p > 1 ? similarity.baseAddress : nil,
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

    /// `p x p` similarities of the pool: cosines of the unit-length pool vectors by one BLAS
    /// product, or Jaccard overlaps of category labels.
    private func computePoolSimilarity(_ p: Int, _ kind: MMROptions.Similarity) {
        let d = dimension
        Self.grow(&poolSimilarity, to: p * p, 0)
        switch kind {
        case .cosine:
            Self.grow(&poolVectors, to: p * d, 0)
            let pool = pool, inverse = candidateInverseNorms
            candidateVectors.withUnsafeBufferPointer { source in
                poolVectors.withUnsafeMutableBufferPointer { out in
                    for i in 0 ..< p {
                        let c = Int(pool[i].id), scale = inverse[c]
                        for j in 0 ..< d { out[i * d + j] = source[c * d + j] * scale }
                    }
                }
            }
            poolVectors.withUnsafeBufferPointer { v in
                poolSimilarity.withUnsafeMutableBufferPointer { s in
                    BLAS.multiplyTransposed(a: v.baseAddress!, rowsA: p, b: v.baseAddress!, rowsB: p, dimension: d, into: s.baseAddress!)
                }
            }
        case .jaccard:
            guard let categories = catalog.categories else { return }
            for i in 0 ..< p {
                let a = candidateRows[Int(pool[i].id)]
                poolSimilarity[i * p + i] = 1
                for j in i + 1 ..< p {
                    let s = categories.jaccard(a, candidateRows[Int(pool[j].id)])
                    poolSimilarity[i * p + j] = s
                    poolSimilarity[j * p + i] = s
                }
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
