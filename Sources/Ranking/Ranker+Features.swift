import Foundation
import Store
import VectorMath

extension Ranker {
    /// Fills the feature matrix for the current candidates: the candidate vectors are gathered
    /// once, the embedding scores come from one matrix-vector product and the similarities to
    /// the history window from one matrix product; every feature is then one loop over arrays.
    func computeFeatures(_ reader: StoreReader) throws {
        let n = candidateCount, d = dimension
        let layout = scorer.layout
        features.reset(features: layout.count, count: n)
        guard n > 0 else { return }
        Self.grow(&candidateVectors, to: n * d, 0)
        Self.grow(&candidatePresent, to: n, false)
        Self.grow(&candidateInverseNorms, to: n, 0)
        Self.grow(&embeddingScores, to: n, .nan)
        Self.grow(&maxSimilarity, to: n, .nan)
        Self.grow(&meanSimilarity, to: n, .nan)
        Self.grow(&argMaxSimilarity, to: n, -1)
        let w = windowRows.count
        Self.grow(&windowSimilarity, to: n * max(w, 1), 0)

        let table = try tables.table(reader)
        candidateRows.withUnsafeBufferPointer { rows in
            candidateVectors.withUnsafeMutableBufferPointer { v in
                candidatePresent.withUnsafeMutableBufferPointer { p in
                    candidateInverseNorms.withUnsafeMutableBufferPointer { inverse in
                        VectorGather.gather(table, rows: UnsafeBufferPointer(rebasing: rows[0 ..< n]), into: v.baseAddress!,
                                            present: p.baseAddress!, inverseNorms: inverse.baseAddress!)
                    }
                }
            }
        }
        computeEmbeddingScores(n)
        computeWindowSimilarity(n)
        let stride = features.stride
        features.withRows { (x: UnsafeMutablePointer<Float>) in
            for (f, feature) in layout.features.enumerated() {
                fill(feature, into: x + f * stride, count: n)
            }
        }
    }

    /// `cross.embedding_score`: the metric's score of the query and each candidate.
    private func computeEmbeddingScores(_ n: Int) {
        let d = dimension
        for c in 0 ..< n { embeddingScores[c] = .nan }
        guard hasQuery else { return }
        var queryNorm: Float = 0
        for j in 0 ..< d { queryNorm += query[j] * query[j] }
        let inverse = catalog.metric == .cosine && queryNorm > 0 ? 1 / queryNorm.squareRoot() : 1
        for j in 0 ..< d { scaledQuery[j] = query[j] * inverse }
        scaledQuery.withUnsafeBufferPointer { qp in
            candidateVectors.withUnsafeBufferPointer { v in
                embeddingScores.withUnsafeMutableBufferPointer { out in
                    BLAS.multiplyTransposed(a: qp.baseAddress!, rowsA: 1, b: v.baseAddress!, rowsB: n, dimension: d, into: out.baseAddress!)
                }
            }
        }
        for c in 0 ..< n {
            if !candidatePresent[c] {
                embeddingScores[c] = .nan
            } else if catalog.metric == .l2 {
                let inverse = candidateInverseNorms[c]
                let squared = inverse > 0 ? 1 / (inverse * inverse) : 0
                embeddingScores[c] = -max(0, queryNorm - 2 * embeddingScores[c] + squared)
            }
        }
    }

    /// Cosine of each candidate with each window item: one `n x w` product, then max, mean
    /// and the most similar window item per candidate.
    private func computeWindowSimilarity(_ n: Int) {
        let d = dimension, w = windowRows.count
        for c in 0 ..< n {
            maxSimilarity[c] = .nan
            meanSimilarity[c] = .nan
            argMaxSimilarity[c] = -1
        }
        guard w > 0, windowPresent[0 ..< w].contains(true) else { return }
        candidateVectors.withUnsafeBufferPointer { v in
            windowVectors.withUnsafeBufferPointer { h in
                windowSimilarity.withUnsafeMutableBufferPointer { s in
                    BLAS.multiplyTransposed(a: v.baseAddress!, rowsA: n, b: h.baseAddress!, rowsB: w, dimension: d, into: s.baseAddress!)
                }
            }
        }
        let present = candidatePresent, windowOK = windowPresent, similarity = windowSimilarity
        let inverse = candidateInverseNorms, windowInverse = windowInverseNorms
        for c in 0 ..< n where present[c] {
            var best = -Float.infinity, sum: Float = 0, count = 0, at = -1
            for j in 0 ..< w where windowOK[j] {
                let cosine = similarity[c * w + j] * inverse[c] * windowInverse[j]
                sum += cosine
                count += 1
                if cosine > best { best = cosine; at = j }
            }
            maxSimilarity[c] = best
            meanSimilarity[c] = sum / Float(count)
            argMaxSimilarity[c] = Int32(at)
        }
    }

    @inline(__always)
    private func known(_ row: UInt32) -> Bool { Int(row) < catalog.itemCount }

    /// Writes one feature for candidates `0 ..< n` (NaN where missing).
    private func fill(_ feature: Feature, into out: UnsafeMutablePointer<Float>, count n: Int) {
        // Local references: no exclusivity check per element in the loops below.
        let candidateRows = candidateRows, labelCounts = labelCounts
        let embeddingScores = embeddingScores, maxSimilarity = maxSimilarity, meanSimilarity = meanSimilarity
        let hasUser = userRow != nil
        let historyLength = hasUser ? log1p(Float(historyRows.count)) : .nan
        let newSeconds = catalog.options.newItemDays * Self.secondsPerDay
        switch feature {
        case .builtin(let b):
            switch b {
            case .itemPopularity:
                let p = catalog.popularity
                for c in 0 ..< n { let r = candidateRows[c]; out[c] = known(r) ? p[Int(r)] : .nan }
            case .itemAge, .itemNewness:
                guard let released = catalog.released else { return }
                for c in 0 ..< n {
                    let r = candidateRows[c]
                    // Unknown, or released after the request time (no age yet): missing.
                    guard known(r), released[Int(r)] != HistoryEntry.unknownTime, released[Int(r)] <= time else { out[c] = .nan; continue }
                    let age = Double(time) - Double(released[Int(r)])
                    out[c] = b == .itemAge ? Float(log1p(age / Self.secondsPerDay)) : Float(max(0, 1 - age / newSeconds))
                }
            case .itemCategoryCount:
                guard let categories = catalog.categories else { return }
                for c in 0 ..< n { out[c] = Float(categories.range(ofItem: candidateRows[c]).count) }
            case .userHistoryLength: out.update(repeating: historyLength, count: n)
            case .userRecency: out.update(repeating: recencyDays.isNaN ? .nan : log1p(recencyDays), count: n)
            case .userCategoryEntropy: out.update(repeating: categoryEntropy, count: n)
            case .userNewItemTaste: out.update(repeating: newItemTaste, count: n)
            case .contextHourSin: out.update(repeating: Float(sin(2 * Double.pi * hourOfDay / 24)), count: n)
            case .contextHourCos: out.update(repeating: Float(cos(2 * Double.pi * hourOfDay / 24)), count: n)
            case .contextWeekend: out.update(repeating: weekday == 0 || weekday == 6 ? 1 : 0, count: n)
            case .embeddingScore: for c in 0 ..< n { out[c] = embeddingScores[c] }
            case .categoryAffinity:
                guard let categories = catalog.categories, labelTotal > 0 else { return }
                let h = Float(historyRows.count)
                for c in 0 ..< n {
                    var best: Float = 0
                    for p in categories.range(ofItem: candidateRows[c]) { best = max(best, labelCounts[Int(categories.code(at: p))] / h) }
                    out[c] = best
                }
            case .popularityXActivity:
                let p = catalog.popularity
                for c in 0 ..< n { let r = candidateRows[c]; out[c] = known(r) ? p[Int(r)] * historyLength : .nan }
            case .newnessXTaste:
                guard let released = catalog.released, !newItemTaste.isNaN else { return }
                for c in 0 ..< n {
                    let r = candidateRows[c]
                    guard known(r), released[Int(r)] != HistoryEntry.unknownTime, released[Int(r)] <= time else { out[c] = .nan; continue }
                    let age = Double(time) - Double(released[Int(r)])
                    out[c] = Float(max(0, 1 - age / newSeconds)) * newItemTaste
                }
            case .historyMaxSimilarity: for c in 0 ..< n { out[c] = maxSimilarity[c] }
            case .historyMeanSimilarity: for c in 0 ..< n { out[c] = meanSimilarity[c] }
            case .hourMatch:
                guard timedEvents > 0 else { return }
                let h = Int(hourOfDay) % 24
                out.update(repeating: hourShare[(h + 23) % 24] + hourShare[h] + hourShare[(h + 1) % 24], count: n)
            }
        case .itemNumeric(let slot):
            let values = catalog.numericColumns[slot].values
            for c in 0 ..< n { let r = candidateRows[c]; out[c] = known(r) ? values[Int(r)] : .nan }
        case .userNumeric(let column):
            out.update(repeating: Int(column) < userNumeric.count ? userNumeric[Int(column)] : .nan, count: n)
        case .itemLabel(let column, let code):
            guard let index = catalog.labelIndexes[column] else { return }
            for c in 0 ..< n {
                var hit: Float = 0
                for p in index.range(ofItem: candidateRows[c]) where index.code(at: p) == code { hit = 1 }
                out[c] = hit
            }
        case .userLabel(let column, let code):
            guard hasUser else { return }
            var hit: Float = 0
            for (number, value) in userFeatures where number == column {
                switch value {
                case .categorical(let x): if x == code { hit = 1 }
                case .multiCategorical(let xs): if xs.contains(code) { hit = 1 }
                default: break
                }
            }
            out.update(repeating: hit, count: n)
        case .contextValue(let key, let value):
            out.update(repeating: contextValues[key] == value ? 1 : 0, count: n)
        }
    }
}
