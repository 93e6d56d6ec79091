import Dispatch
import VectorMath

extension HNSWGraph {
    /// Candidates per row that `addWideLinks` runs the neighbour heuristic over: the best of
    /// its two-hop neighbourhood by the wide geometry.
    static let widePool = 128

    /// Adds up to `width` flagged links (`repairFlag`: only wide walks follow them) to each
    /// row's free level-0 slots, chosen by `scorer` (a second geometry) from the row's two-hop
    /// neighbourhood: the best `widePool` by that geometry, thinned by the neighbour heuristic.
    ///
    /// Inner-product builds call it with the textbook MIPS-to-L2 reduction (R the largest norm):
    /// linked that way, a graph measured worst for top-10 walks and best for wide ones; as extra
    /// links beside the build's own it raised recall@500 at no cost to narrow searches
    /// (bench/RESULTS.md, "Wide links"). One pass over the rows on `threads` threads, reading
    /// the graph only, then the links are written in row order. Returns how many were added.
    @discardableResult
    func addWideLinks(width: Int, scorer: NodeScorer, threads: Int) -> Int {
        let rows = count
        guard width > 0, rows > 0, rows < Int(Self.repairFlag) else { return 0 }
        var chosen = [UInt32](repeating: UInt32.max, count: rows * width)
        let workers = max(1, min(threads, rows))
        chosen.withUnsafeMutableBufferPointer { out in
            let out = out
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var seen = VisitedSet(capacity: rows)
                defer { seen.deallocate() }
                var candidates: [(score: Float, row: UInt32)] = []
                for r in stride(from: worker, to: rows, by: workers) {
                    let row = UInt32(r)
                    guard isInGraph(row), !deleted.contains(row) else { continue }
                    let own = list(row, 0)
                    let n = Int(own.pointee)
                    guard n < m0 else { continue }
                    seen.reset(rows: rows)
                    _ = seen.insert(row)
                    for i in 0..<n { _ = seen.insert(own[1 + i] & ~Self.repairFlag) }
                    candidates.removeAll(keepingCapacity: true)
                    for i in 0..<n {
                        let next = list(own[1 + i] & ~Self.repairFlag, 0)
                        for j in 0..<Int(next.pointee) {
                            let c = next[1 + j] & ~Self.repairFlag
                            guard seen.insert(c), !deleted.contains(c) else { continue }
                            candidates.append((scorer.score(c, from: row), c))
                        }
                    }
                    candidates.sort { $0.score > $1.score || ($0.score == $1.score && $0.row < $1.row) }
                    let picked = selectNeighbours(Array(candidates.prefix(Self.widePool)), limit: min(width, m0 - n), scorer: scorer)
                    for (k, p) in picked.enumerated() { out[r * width + k] = p }
                }
            }
        }
        var added = 0
        for r in 0..<rows {
            let l = list(UInt32(r), 0)
            for k in 0..<width {
                let p = chosen[r * width + k]
                let n = Int(l.pointee)
                guard p != UInt32.max, n < m0 else { break }
                l[1 + n] = p | Self.repairFlag
                l.pointee = UInt32(n + 1)
                added += 1
            }
        }
        return added
    }
}
