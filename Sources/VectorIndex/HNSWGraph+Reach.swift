import Dispatch
import VectorMath

extension HNSWGraph {
    /// Rows of the graph that no walk reaches: not reachable from the entry point following
    /// out-links of any level (a search descends the upper levels and walks level 0 from where
    /// it lands), in row order.
    func unreachableRows() -> [UInt32] {
        var reached = RowBitmap(capacity: count)
        var stack: [UInt32] = []
        if maxLevel >= 0 { mark(entryPoint, &reached, &stack, allLevels: true) }
        return (0..<UInt32(count)).filter { isInGraph($0) && !reached.contains($0) }
    }

    /// Marks `start` and every row reachable from it that is not marked yet: through the
    /// level-0 lists, or with `allLevels` through the lists of every level.
    private func mark(_ start: UInt32, _ reached: inout RowBitmap, _ stack: inout [UInt32], allLevels: Bool = false) {
        guard !reached.contains(start) else { return }
        reached.insert(start)
        stack.append(start)
        while let row = stack.popLast() {
            let top = !allLevels || levels[Int(row)] == Self.notInGraph ? 0 : Int(levels[Int(row)])
            for level in 0...top {
                let l = list(row, level)
                for i in 0..<Int(l.pointee) {
                    let next = l[1 + i] & ~Self.repairFlag
                    guard !reached.contains(next) else { continue }
                    reached.insert(next)
                    stack.append(next)
                }
            }
        }
    }

    /// Links rows that a level-0 walk from the entry point cannot reach (stricter than
    /// `unreachableRows`: a walk starts on level 0 where its descent lands) into the reachable
    /// part, so that large-k searches can return them (and a search with `ef` at least the row
    /// count answers exactly). Graphs linked by inner product leave many rows behind: the
    /// neighbour heuristic points small-norm rows at large-norm ones and not back (65% of a
    /// 200k-row clustered graph, measured).
    ///
    /// Each unreachable row is searched for from the entry point (its own vector, `ef`, over
    /// reached rows only; on `threads` threads), and the found rows with a free slot, most
    /// similar by angle first, are its candidate hosts: a link goes into a free slot only, never
    /// in place of an existing one (replacing links cost recall@10), and not into the
    /// large-norm hubs an inner-product walk finds first unless they are the most similar.
    /// Rows left without a free host after four passes stay as they were. Returns how many rows
    /// were linked.
    ///
    /// The links are marked (`repairFlag`): walks follow them when `ef` or `k` is large
    /// (`HNSWParameters.followsRepairs`), so top-k walks with a small `ef` keep their speed.
    @discardableResult
    func linkUnreachable(ef: Int, scorer base: NodeScorer, threads: Int) -> Int {
        guard count < Int(Self.repairFlag) else { return 0 }  // row numbers must leave the flag bit free
        // Later passes search again from the larger reached part (rows linked by the first pass
        // have free slots of their own) for the rows whose hosts filled up.
        var linked = 0
        for _ in 0..<4 {
            let pass = linkPass(ef: ef, scorer: base, threads: threads)
            linked += pass
            if pass == 0 { break }
        }
        return linked
    }

    private func linkPass(ef: Int, scorer base: NodeScorer, threads: Int) -> Int {
        guard maxLevel >= 0 else { return 0 }
        var reached = RowBitmap(capacity: count)
        var stack: [UInt32] = []
        mark(entryPoint, &reached, &stack)
        let orphans = (0..<UInt32(count)).filter { isInGraph($0) && !reached.contains($0) }
        guard !orphans.isEmpty else { return 0 }
        let hostsPerRow = 16
        var hosts = [UInt32](repeating: UInt32.max, count: orphans.count * hostsPerRow)
        let workers = max(1, min(threads, orphans.count))
        let frozen = reached
        hosts.withUnsafeMutableBufferPointer { out in
            let out = out
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let scratch = SearchScratch(rows: count, ef: ef)
                var i = worker
                while i < orphans.count {
                    let scorer = base.from(orphans[i])
                    let (entry, entryScore) = descend(from: entryPoint, top: maxLevel, to: 0, scorer: scorer, locking: false)
                    searchLevel(entry: entry, entryScore: entryScore, ef: ef, level: 0, scorer: scorer, scratch: scratch,
                                locking: false, followRepairs: true, accept: { frozen.contains($0) })
                    var ranked: [(similarity: Float, row: UInt32)] = []
                    for (score, host) in drainResults(scratch) where Int(list(host, 0).pointee) < m0 {
                        let norm = base.table.squaredNorm(host).squareRoot()
                        ranked.append((base.mode == .innerProduct && norm > 0 ? score / norm : score, host))
                    }
                    ranked.sort { $0.similarity > $1.similarity }
                    for (k, host) in ranked.prefix(hostsPerRow).enumerated() { out[i * hostsPerRow + k] = host.row }
                    i += workers
                }
            }
        }
        var linked = 0
        for (i, row) in orphans.enumerated() where !reached.contains(row) {
            for k in 0..<hostsPerRow {
                let host = hosts[i * hostsPerRow + k]
                guard host != UInt32.max else { break }
                let l = list(host, 0)
                let n = Int(l.pointee)
                guard n < m0 else { continue }
                l[1 + n] = row | Self.repairFlag
                l.pointee = UInt32(n + 1)
                linked += 1
                mark(row, &reached, &stack)
                break
            }
        }
        return linked
    }
}
