import VectorMath

extension HNSWGraph {
    /// Greedy walk down the upper levels to the closest node at `level`: ef = 1.
    func descend(from start: UInt32, top: Int, to level: Int, scorer: NodeScorer, locking: Bool) -> (row: UInt32, score: Float) {
        var current = start
        var best = scorer.score(start)
        guard top > level else { return (current, best) }
        for l in stride(from: top, to: level, by: -1) {
            var changed = true
            while changed {
                changed = false
                let locked = current
                if locking { lock(locked) }
                let list = self.list(locked, l)
                let n = Int(list.pointee)
                for i in 0..<n {
                    let candidate = list[1 + i]
                    guard Int(candidate) < scorer.table.rows else { continue }
                    let s = scorer.score(candidate)
                    if s > best || (best.isNaN && !s.isNaN) {  // NaN: a removed vector
                        best = s
                        current = candidate
                        changed = true
                    }
                }
                if locking { unlock(locked) }
            }
        }
        return (current, best)
    }

    /// Best-first search of one level from `entry`, keeping `ef` results in `scratch.results`
    /// (a min-heap: its top is the worst kept). Rows that `accept` refuses are traversed but not
    /// kept. Repair links (`repairFlag`) are followed with `followRepairs` only. Returns the
    /// number of distance computations.
    @discardableResult
    func searchLevel(entry: UInt32, entryScore: Float, ef: Int, level: Int, scorer: NodeScorer,
                     scratch: SearchScratch, locking: Bool, followRepairs: Bool = false,
                     accept: ((UInt32) -> Bool)?) -> Int {
        // Rows past the snapshot's table (inserted after it was taken) are not followed; nor
        // are repair links unless asked: kept flagged, they fail that same bound.
        let visible = UInt32(scorer.table.rows)
        let unflag = followRepairs ? ~Self.repairFlag : ~UInt32(0)
        scratch.visited.reset(rows: count)
        scratch.candidates.removeAll()
        scratch.results.removeAll()
        _ = scratch.visited.insert(entry)
        scratch.candidates.push(entryScore, entry)
        if accept?(entry) ?? true { scratch.results.push(entryScore, entry) }
        var computed = 1
        while scratch.candidates.count > 0 {
            let current = scratch.candidates.topRow
            if scratch.results.count >= ef && scratch.candidates.topScore < scratch.results.topScore { break }
            scratch.candidates.pop()
            // The list most likely expanded next is the new frontier top's: fetch it now, while
            // this one is scored.
            if scratch.candidates.count > 0 { Kernels.prefetch(self.list(scratch.candidates.topRow, level)) }
            if locking { lock(current) }
            let list = self.list(current, level)
            let n = Int(list.pointee)
            let tags = scratch.visited.tags
            for i in 0..<n {
                let candidate = list[1 + i] & unflag
                if candidate < visible { Kernels.prefetch(tags + Int(candidate)) }  // not for skipped repair links
            }
            var fresh = 0
            for i in 0..<n {
                let candidate = list[1 + i] & unflag
                guard candidate < visible, scratch.visited.insert(candidate) else { continue }
                scratch.batchRows[fresh] = candidate
                fresh += 1
            }
            if locking { unlock(current) }
            guard fresh > 0 else { continue }
            scorer.score(rows: scratch.batchRows, count: fresh, pointers: scratch.batchPointers, into: scratch.batchScores)
            computed += fresh
            for i in 0..<fresh {
                let s = scratch.batchScores[i]
                if s.isNaN { continue }  // a vacant row (its vector was removed): a dead end
                let candidate = scratch.batchRows[i]
                if scratch.results.count < ef || s > scratch.results.topScore {
                    scratch.candidates.push(s, candidate)
                    if accept?(candidate) ?? true {
                        if scratch.results.count < ef { scratch.results.push(s, candidate) } else { scratch.results.replaceTop(s, candidate) }
                    }
                }
            }
        }
        return computed
    }

    /// Drains `scratch.results` into (score, row) pairs, best first (ties: smaller row first).
    func drainResults(_ scratch: SearchScratch) -> [(score: Float, row: UInt32)] {
        var out: [(score: Float, row: UInt32)] = []
        out.reserveCapacity(scratch.results.count)
        while scratch.results.count > 0 {
            out.append((scratch.results.topScore, scratch.results.topRow))
            scratch.results.pop()
        }
        out.reverse()
        return out
    }
}
