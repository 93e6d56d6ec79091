/// Greedy maximal marginal relevance over a pool of candidates.
///
/// Step by step, among the pool items not yet picked and `eligible`, pick the one maximising
/// `lambda * relevance[i] - (1 - lambda) * max_(j picked) similarity[i, j]` (the penalty is 0
/// before the first pick); ties go to the smaller index. Relevance should be normalised to
/// [0, 1] over the pool (`normalize`), or the two terms are not comparable. With
/// `lambda == 1` the picks are the eligible items in decreasing relevance.
public enum MMR {
    /// Rescales `values` to [0, 1] by min and max (all 1 when they are equal).
    public static func normalize(_ values: UnsafeMutableBufferPointer<Float>) {
        guard let lo = values.min(), let hi = values.max() else { return }
        let span = hi - lo
        for i in values.indices { values[i] = span > 0 ? (values[i] - lo) / span : 1 }
    }

    /// Picks up to `k` pool indices into `picks` (cleared first).
    /// - `similarity`: row-major `pool x pool` (only read when `lambda < 1`).
    /// - `best`, `taken`: scratch of at least `pool` entries.
    /// - `eligible(i)`: asked before each pick; `didPick(i)` is told of each pick (caps).
    @inlinable
    public static func select(relevance: UnsafeBufferPointer<Float>, similarity: UnsafePointer<Float>?, lambda: Float,
                              k: Int, picks: inout [Int], best: UnsafeMutablePointer<Float>, taken: UnsafeMutablePointer<Bool>,
                              eligible: (Int) -> Bool, didPick: (Int) -> Void) {
        let p = relevance.count
        picks.removeAll(keepingCapacity: true)
        best.update(repeating: -.infinity, count: p)
        taken.update(repeating: false, count: p)
        let diversify = lambda < 1 && similarity != nil
        while picks.count < k {
            var choice = -1
            var top = -Float.infinity
            for i in 0 ..< p where !taken[i] {
                let penalty: Float = diversify && !picks.isEmpty ? best[i] : 0
                let value = lambda * relevance[i] - (1 - lambda) * penalty
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
            if diversify, let s = similarity {
                let row = s + choice * p
                for i in 0 ..< p where !taken[i] && row[i] > best[i] { best[i] = row[i] }
            }
        }
    }
}
