import VectorMath

extension HNSWGraph {
    /// Rows of the graph that a level-0 walk from the entry point cannot reach (following
    /// out-links), in row order.
    func unreachableRows() -> [UInt32] {
        var reached = RowBitmap(capacity: count)
        var stack: [UInt32] = []
        if maxLevel >= 0 { mark(entryPoint, &reached, &stack) }
        return (0..<UInt32(count)).filter { isInGraph($0) && !reached.contains($0) }
    }

    /// Marks `start` and every row reachable from it at level 0 that is not marked yet.
    private func mark(_ start: UInt32, _ reached: inout RowBitmap, _ stack: inout [UInt32]) {
        guard !reached.contains(start) else { return }
        reached.insert(start)
        stack.append(start)
        while let row = stack.popLast() {
            let l = list(row, 0)
            for i in 0..<Int(l.pointee) where !reached.contains(l[1 + i]) {
                reached.insert(l[1 + i])
                stack.append(l[1 + i])
            }
        }
    }

    /// Links every row a level-0 walk from the entry point cannot reach into the reachable
    /// part, so that a search with `ef` at least the row count answers exactly and every item
    /// can be returned. Graphs linked by inner product leave rows behind: the neighbour
    /// heuristic prefers large-norm rows, and a small-norm row can lose every in-link.
    ///
    /// Each unreachable row (in row order) is searched for from the entry point (its own
    /// vector, `ef`); the best reached row found takes a link to it, in a free slot or in
    /// place of its least similar neighbour that has another in-link (so no reached row is
    /// cut off). Rows reached through the new link are marked. Single-threaded, after a build;
    /// repeated (at most three passes) while a forced link left a row behind. Returns how many
    /// rows were linked.
    @discardableResult
    func linkUnreachable(ef: Int, scorer base: NodeScorer) -> Int {
        var linked = 0
        for _ in 0..<3 {
            let pass = linkPass(ef: ef, scorer: base)
            linked += pass
            if pass == 0 || unreachableRows().isEmpty { break }
        }
        return linked
    }

    private func linkPass(ef: Int, scorer base: NodeScorer) -> Int {
        guard maxLevel >= 0 else { return 0 }
        var reached = RowBitmap(capacity: count)
        var stack: [UInt32] = []
        mark(entryPoint, &reached, &stack)
        var inDegree = [UInt32](repeating: 0, count: count)
        for r in 0..<UInt32(count) where isInGraph(r) {
            let l = list(r, 0)
            for i in 0..<Int(l.pointee) { inDegree[Int(l[1 + i])] += 1 }
        }
        let scratch = SearchScratch(rows: count, ef: ef)
        var linked = 0
        for r in 0..<UInt32(count) where isInGraph(r) && !reached.contains(r) {
            let scorer = base.from(r)
            let (entry, entryScore) = descend(from: entryPoint, top: maxLevel, to: 0, scorer: scorer, locking: false)
            searchLevel(entry: entry, entryScore: entryScore, ef: ef, level: 0, scorer: scorer, scratch: scratch,
                        locking: false, accept: { reached.contains($0) })
            let hosts = drainResults(scratch)
            // A free slot first (no existing link is lost), else a replaced link; failing both
            // (every reached row found is full of sole in-links) the entry point takes it in
            // place of its last neighbour, whatever that costs (a later pass relinks that one).
            var attached = false
            if let free = hosts.first(where: { Int(list($0.row, 0).pointee) < m0 }) {
                attached = attach(r, to: free.row, scorer: scorer, inDegree: &inDegree)
            }
            for (_, host) in hosts where !attached {
                attached = attach(r, to: host, scorer: scorer, inDegree: &inDegree)
            }
            if !attached { forceAttach(r, to: entryPoint, inDegree: &inDegree) }
            linked += 1
            mark(r, &reached, &stack)
        }
        return linked
    }

    /// Adds `row` to `host`'s level-0 list: in a free slot, or in place of the least similar
    /// neighbour of `host` that keeps another in-link. False when neither exists.
    private func attach(_ row: UInt32, to host: UInt32, scorer: NodeScorer, inDegree: inout [UInt32]) -> Bool {
        let l = list(host, 0)
        let n = Int(l.pointee)
        if (0..<n).contains(where: { l[1 + $0] == row }) { return true }
        if n < m0 {
            l[1 + n] = row
            l.pointee = UInt32(n + 1)
            inDegree[Int(row)] += 1
            return true
        }
        let fromHost = scorer.from(host)
        var victim = -1
        var victimScore = Float.infinity
        for i in 0..<n where inDegree[Int(l[1 + i])] > 1 {
            let s = fromHost.score(l[1 + i])
            if s < victimScore || victim < 0 { victim = i; victimScore = s }
        }
        guard victim >= 0 else { return false }
        inDegree[Int(l[1 + victim])] -= 1
        l[1 + victim] = row
        inDegree[Int(row)] += 1
        return true
    }

    private func forceAttach(_ row: UInt32, to host: UInt32, inDegree: inout [UInt32]) {
        let l = list(host, 0)
        let n = Int(l.pointee)
        if n < m0 {
            l[1 + n] = row
            l.pointee = UInt32(n + 1)
        } else {
            inDegree[Int(l[n])] -= 1
            l[n] = row
        }
        inDegree[Int(row)] += 1
    }
}
