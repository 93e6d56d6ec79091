import Foundation

/// Greedy maximal marginal relevance over a pool of candidates.
///
/// Step by step, among the pool items not yet picked and `eligible`, pick the one maximising
/// `lambda * relevance[i] - (1 - lambda) * max_(j picked) similarity[i, j]` (the penalty is 0
/// before the first pick); ties go to the smaller index. Relevance should be normalised to
/// [0, 1] over the pool (`normalize`), or the two terms are not comparable. With
/// `lambda == 1` the picks are the eligible items in decreasing relevance.
public enum MMR {
    /// How model scores become relevance.
    public enum RelevanceScale: Sendable, Equatable {
        /// `(s - min) / (max - min)` over the pool: for scores of no stated scale.
        case minMax
        /// Probabilities: `s / m`, `m` the mean score of the `listLength` best (min-max when a
        /// score is not positive).
        case probability
        /// Choice logits: chances `e^(s - best)` over their mean among the `listLength` best.
        case logit
    }

    /// Rescales `values` to [0, 1] by min and max (all 1 when they are equal).
    public static func normalize(_ values: UnsafeMutableBufferPointer<Float>) {
        normalize(values, scale: .minMax, listLength: values.count)
    }

    /// Turns model scores (sorted best first) into relevance. For probabilities and choice
    /// logits, on the chance scale in units of the mean chance of the `listLength` best: 1 is
    /// an average member of the list that relevance order would return (the best items may
    /// exceed 1), so MMR trades where the chances of a pick are close, and how far the best
    /// item stands out does not cheapen the rest (as dividing by the best would).
    public static func normalize(_ values: UnsafeMutableBufferPointer<Float>, scale: RelevanceScale, listLength k: Int) {
        guard let lo = values.min(), let hi = values.max() else { return }
        let top = max(1, min(k, values.count))
        if scale == .logit || (scale == .probability && lo > 0) {
            if scale == .logit {
                for i in values.indices { values[i] = expf(values[i] - hi) }
            }
            var mean: Float = 0
            for i in 0 ..< top { mean += values[i] }
            mean /= Float(top)
            for i in values.indices { values[i] = mean > 0 ? values[i] / mean : 1 }
        } else {
            let span = hi - lo
            for i in values.indices { values[i] = span > 0 ? (values[i] - lo) / span : 1 }
        }
    }

    /// Rescales the off-diagonal entries of a `count x count` similarity matrix to [0, 1] by
    /// their min and max (all 0 when they are equal); the diagonal becomes 1.
    public static func normalizeSimilarity(_ matrix: UnsafeMutableBufferPointer<Float>, count p: Int) {
        guard p > 1 else { return }
        var lo = Float.infinity, hi = -Float.infinity
        for i in 0 ..< p {
            for j in 0 ..< p where j != i {
                lo = min(lo, matrix[i * p + j])
                hi = max(hi, matrix[i * p + j])
            }
        }
        let span = hi - lo
        for i in 0 ..< p {
            for j in 0 ..< p { matrix[i * p + j] = i == j ? 1 : (span > 0 ? (matrix[i * p + j] - lo) / span : 0) }
        }
    }

    /// Picks up to `k` pool indices into `picks` (cleared first).
    /// - `similarity`: row-major `pool x pool` (only read when `lambda < 1`).
    /// - `best`, `taken`: scratch of at least `pool` entries.
    /// - `eligible(i)`: asked before each pick; `didPick(i)` is told of each pick (caps).
    /// - `penalty`: `.max` (classic MMR: the similarity to the nearest pick) or `.mean` (the
    ///   mean similarity to the picks: each step then adds the most to relevance plus the
    ///   list's mean pairwise dissimilarity); `best` holds the max or the running sum.
    @inlinable
    public static func select(relevance: UnsafeBufferPointer<Float>, similarity: UnsafePointer<Float>?, lambda: Float,
                              k: Int, picks: inout [Int], best: UnsafeMutablePointer<Float>, taken: UnsafeMutablePointer<Bool>,
                              penalty: MMROptions.Penalty = .max,
                              eligible: (Int) -> Bool, didPick: (Int) -> Void) {
        let p = relevance.count
        select(relevance: relevance, similarityRow: similarity.map { s in { s + $0 * p } }, lambda: lambda, k: k,
               picks: &picks, best: best, taken: taken, penalty: penalty, eligible: eligible, didPick: didPick)
    }

    /// `select` with the similarities asked for one row at a time: `similarityRow(i)` gives
    /// pool item `i`'s similarities to the whole pool (read before the next call), asked once
    /// per pick. Only `k` rows of the `pool x pool` matrix are ever needed.
    @inlinable
    public static func select(relevance: UnsafeBufferPointer<Float>, similarityRow: ((Int) -> UnsafePointer<Float>)?,
                              lambda: Float, k: Int, picks: inout [Int], best: UnsafeMutablePointer<Float>,
                              taken: UnsafeMutablePointer<Bool>, penalty: MMROptions.Penalty = .max,
                              eligible: (Int) -> Bool, didPick: (Int) -> Void) {
        let mean = penalty == .mean
        let p = relevance.count
        picks.removeAll(keepingCapacity: true)
        best.update(repeating: mean ? 0 : -.infinity, count: p)
        taken.update(repeating: false, count: p)
        let diversify = lambda < 1 && similarityRow != nil
        let rest = 1 - lambda
        while picks.count < k {
            var choice = -1
            var top = -Float.infinity
            let penalised = diversify && !picks.isEmpty, divisor = mean ? Float(picks.count) : 1
            for i in 0 ..< p where !taken[i] {
                let penalty: Float = penalised ? (mean ? best[i] / divisor : best[i]) : 0
                let value = lambda * relevance[i] - rest * penalty
                if value > top || (choice < 0 && value == top) {
                    guard eligible(i) else { continue }
                    top = value
                    choice = i
                }
            }
            guard choice >= 0 else { break }
            taken[choice] = true
            picks.append(choice)
            didPick(choice)
            if diversify, picks.count < k, let similarityRow {
                let row = similarityRow(choice)
                if mean {
                    for i in 0 ..< p where !taken[i] { best[i] += row[i] }
                } else {
                    for i in 0 ..< p where !taken[i] && row[i] > best[i] { best[i] = row[i] }
                }
            }
        }
    }
}
