import Foundation

/// Offline metrics of ranked lists and of scored examples.
///
/// For a ranked list `r` (best first, cut at `k`) and the set `R` of relevant items:
/// - recall@k = |top-k ∩ R| / |R|
/// - NDCG@k = DCG / IDCG with DCG = Σ_{i < k, r_i ∈ R} 1 / log2(i + 2) and IDCG the DCG of
///   `min(|R|, k)` hits at the top
/// - AP@k = (Σ_{i < k, r_i ∈ R} precision@(i + 1)) / min(|R|, k) (MAP@k is its mean over users)
public enum RankingMetrics {
    public static func recall(_ ranked: [UInt32], relevant: Set<UInt32>, k: Int) -> Double {
        guard !relevant.isEmpty else { return 0 }
        return Double(ranked.prefix(k).filter(relevant.contains).count) / Double(relevant.count)
    }

    public static func ndcg(_ ranked: [UInt32], relevant: Set<UInt32>, k: Int) -> Double {
        guard !relevant.isEmpty, k > 0 else { return 0 }
        var dcg = 0.0
        for (i, item) in ranked.prefix(k).enumerated() where relevant.contains(item) { dcg += 1 / log2(Double(i + 2)) }
        var ideal = 0.0
        for i in 0 ..< min(relevant.count, k) { ideal += 1 / log2(Double(i + 2)) }
        return dcg / ideal
    }

    public static func averagePrecision(_ ranked: [UInt32], relevant: Set<UInt32>, k: Int) -> Double {
        guard !relevant.isEmpty, k > 0 else { return 0 }
        var hits = 0, sum = 0.0
        for (i, item) in ranked.prefix(k).enumerated() where relevant.contains(item) {
            hits += 1
            sum += Double(hits) / Double(i + 1)
        }
        return sum / Double(min(relevant.count, k))
    }

    /// Mean over pairs of `1 - cosine` of the vectors (row-major, `dimension` floats each);
    /// nil for fewer than two vectors.
    public static func intraListDiversity(_ vectors: [Float], dimension d: Int) -> Double? {
        let n = vectors.count / d
        guard n >= 2 else { return nil }
        var norms = [Double](repeating: 0, count: n)
        for i in 0 ..< n { for j in 0 ..< d { norms[i] += Double(vectors[i * d + j]) * Double(vectors[i * d + j]) } }
        var sum = 0.0
        for a in 0 ..< n {
            for b in a + 1 ..< n {
                var dot = 0.0
                for j in 0 ..< d { dot += Double(vectors[a * d + j]) * Double(vectors[b * d + j]) }
                let denominator = (norms[a] * norms[b]).squareRoot()
                sum += 1 - (denominator > 0 ? dot / denominator : 0)
            }
        }
        return sum / Double(n * (n - 1) / 2)
    }

    /// Mean over choices (groups of `groupSize` consecutive scores, the chosen item first) of
    /// the share of alternatives the chosen item outscores, ties counting one half: the AUC
    /// of each request's ranking, averaged. NaN scores rank lowest.
    public static func choiceAUC(scores: [Double], groupSize g: Int) -> Double {
        precondition(g >= 2 && scores.count % g == 0, "choiceAUC: \(scores.count) scores, groups of \(g)")
        let groups = scores.count / g
        guard groups > 0 else { return 0.5 }
        func value(_ x: Double) -> Double { x.isNaN ? -.infinity : x }
        var total = 0.0
        for q in 0 ..< groups {
            let chosen = value(scores[q * g])
            var wins = 0.0
            for j in 1 ..< g {
                let other = value(scores[q * g + j])
                wins += chosen > other ? 1 : (chosen == other ? 0.5 : 0)
            }
            total += wins / Double(g - 1)
        }
        return total / Double(groups)
    }

    /// Area under the ROC curve: the probability that a random positive outscores a random
    /// negative, ties counting one half. NaN scores rank lowest. 0.5 when a class is empty.
    public static func auc(scores: [Double], labels: [Bool]) -> Double {
        precondition(scores.count == labels.count, "auc: \(scores.count) scores, \(labels.count) labels")
        let order = scores.indices.sorted { (scores[$0].isNaN ? -.infinity : scores[$0]) < (scores[$1].isNaN ? -.infinity : scores[$1]) }
        var rankSum = 0.0
        var positives = 0
        var i = 0
        while i < order.count {
            var j = i
            let value = scores[order[i]].isNaN ? -.infinity : scores[order[i]]
            while j + 1 < order.count && (scores[order[j + 1]].isNaN ? -.infinity : scores[order[j + 1]]) == value { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            for t in i ... j where labels[order[t]] {
                rankSum += averageRank
                positives += 1
            }
            i = j + 1
        }
        let negatives = labels.count - positives
        guard positives > 0 && negatives > 0 else { return 0.5 }
        return (rankSum - Double(positives) * Double(positives + 1) / 2) / (Double(positives) * Double(negatives))
    }

    /// Mean negative log-likelihood of the labels under the probabilities (clamped to [1e-12, 1 - 1e-12]).
    public static func logLoss(probabilities: [Double], labels: [Bool]) -> Double {
        precondition(probabilities.count == labels.count, "logLoss: \(probabilities.count) probabilities, \(labels.count) labels")
        guard !labels.isEmpty else { return 0 }
        var sum = 0.0
        for (p, y) in zip(probabilities, labels) {
            let q = min(max(p, 1e-12), 1 - 1e-12)
            sum -= y ? log(q) : log(1 - q)
        }
        return sum / Double(labels.count)
    }

    /// The `p`-th percentile (0...100) of `values` by the nearest-rank rule; 0 when empty.
    public static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
