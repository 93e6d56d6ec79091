import Foundation
import Synchronization

extension HNSWGraph {
    /// The level of `row`: floor(-ln(U) / ln(m)) with U drawn from the row number and the seed,
    /// so a build is reproducible whatever order threads insert rows in.
    static func level(of row: UInt32, seed: UInt64, m: Int) -> Int {
        var z = seed &+ UInt64(row) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let u = (Double(z >> 11) + 0.5) / Double(1 << 53)
        return min(Int(-log(u) / log(Double(max(m, 2)))), 30)
    }

    /// Keeps up to `limit` of `candidates` (best first, similarity to the base node) by the
    /// HNSW heuristic: a candidate is dropped when it is closer to an already kept neighbour
    /// than to the base, which spreads links over directions instead of one dense cluster.
    /// `scorer` gives the mode and vectors (any scorer of the graph's table).
    func selectNeighbours(_ candidates: [(score: Float, row: UInt32)], limit: Int, scorer: NodeScorer) -> [UInt32] {
        if candidates.count <= limit { return candidates.map(\.row) }
        var kept: [UInt32] = []
        kept.reserveCapacity(limit)
        for c in candidates {
            if kept.count >= limit { break }
            var good = true
            for k in kept where scorer.score(k, from: c.row) > c.score {
                good = false
                break
            }
            if good { kept.append(c.row) }
        }
        return kept
    }

    /// Inserts `row` (its vector must be in `scorer.table`) with the given level, linking it at
    /// every level it has. Safe to call from several threads at once.
    func insert(_ row: UInt32, level: Int, efConstruction: Int, scorer base: NodeScorer, scratch: SearchScratch) {
        let scorer = base.from(row)
        lockGlobal()
        let top = maxLevel
        let isFirst = top < 0
        if isFirst {
            addNode(row, level: level)
            entryPoint = row
            maxLevel = level
            unlockGlobal()
            return
        }
        let holdsGlobal = level > top
        let entry = entryPoint
        if !holdsGlobal { unlockGlobal() }
        lock(row)
        addNode(row, level: level)
        unlock(row)
        var (current, currentScore) = descend(from: entry, top: top, to: level, scorer: scorer, locking: true)
        for l in stride(from: min(level, top), through: 0, by: -1) {
            searchLevel(entry: current, entryScore: currentScore, ef: efConstruction, level: l, scorer: scorer,
                        scratch: scratch, locking: true, accept: { $0 != row })
            let found = drainResults(scratch)
            guard let best = found.first else { continue }
            let chosen = selectNeighbours(found, limit: m, scorer: scorer)
            lock(row)
            setNeighbours(row, l, chosen)
            unlock(row)
            for neighbour in chosen { link(neighbour, to: row, level: l, scorer: scorer) }
            (current, currentScore) = (best.row, best.score)
        }
        if holdsGlobal {
            entryPoint = row
            maxLevel = level
            unlockGlobal()
        }
    }

    /// Adds `row` to `neighbour`'s list at `level`, re-selecting the list when it is full.
    func link(_ neighbour: UInt32, to row: UInt32, level: Int, scorer: NodeScorer) {
        lock(neighbour)
        defer { unlock(neighbour) }
        let list = self.list(neighbour, level)
        let n = Int(list.pointee)
        for i in 0..<n where list[1 + i] & ~Self.repairFlag == row { return }
        let limit = maxNeighbours(level)
        if n < limit {
            list[1 + n] = row
            list.pointee = UInt32(n + 1)
            return
        }
        // A full list is selected again from plain rows: repair links it held become plain links or go.
        var candidates: [(score: Float, row: UInt32)] = [(scorer.score(row, from: neighbour), row)]
        for i in 0..<n {
            let r = list[1 + i] & ~Self.repairFlag
            candidates.append((scorer.score(r, from: neighbour), r))
        }
        candidates.sort { $0.score > $1.score || ($0.score == $1.score && $0.row < $1.row) }
        setNeighbours(neighbour, level, selectNeighbours(candidates, limit: limit, scorer: scorer))
    }

    /// Builds the graph over every row of `table` that holds a vector, on `threads` threads.
    static func build(table: VectorTable, parameters: HNSWParameters, mode: LinkMode, threads: Int,
                      progress: ((Int) -> Void)? = nil) -> (HNSWGraph, LinkTerms) {
        // Build over a huge-page copy: inserts touch vectors at random (see `VectorCopy`).
        let copy = VectorCopy(table)
        let table = copy.table
        let graph = HNSWGraph(m: parameters.m, capacity: table.rows)
        graph.count = table.rows
        let terms = LinkTerms(mode: mode, table: table, quantile: parameters.augmentQuantile)
        let next = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        terms.withPointer { termPointer in
            let dummy = UnsafeMutablePointer<Float>.allocate(capacity: table.dimension)
            defer { dummy.deallocate() }
            let scorer = NodeScorer(query: dummy, table: table, mode: mode, rowTerms: termPointer)
            let workers = max(1, threads)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let scratch = SearchScratch(rows: table.rows, ef: parameters.efConstruction)
                while true {
                    let r = next.add(1, ordering: .relaxed).oldValue
                    if r >= table.rows { break }
                    let row = UInt32(r)
                    guard table.hasVector(row) else { continue }
                    graph.insert(row, level: level(of: row, seed: parameters.seed, m: parameters.m),
                                 efConstruction: parameters.efConstruction, scorer: scorer, scratch: scratch)
                    let finished = done.add(1, ordering: .relaxed).newValue
                    if worker == 0, finished % 4096 == 0 { progress?(finished) }
                }
            }
            if parameters.linkUnreachable {
                graph.linkUnreachable(ef: min(parameters.efConstruction, 64), scorer: scorer, threads: workers)
                if mode != .l2 && parameters.wideLinks > 0 {
                    // Wide links in the textbook reduction's geometry (R the largest norm).
                    let wide = LinkTerms(mode: .augmented, table: table, quantile: 1)
                    wide.withPointer { w in
                        let wideScorer = NodeScorer(query: dummy, table: table, mode: .augmented, rowTerms: w)
                        graph.addWideLinks(width: parameters.wideLinks, scorer: wideScorer, threads: workers)
                    }
                }
            }
        }
        return (graph, terms)
    }
}
