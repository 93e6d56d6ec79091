import VectorMath
import Store

extension HNSWSearchIndex {
    public func applyWrites(upserted: [UInt32], deleted: [UInt32], in writer: StoreWriter) throws {
        try apply(upserted: upserted, deleted: deleted, in: writer)
    }

    /// Online changes inside one store write: after `writer.upsertVectors` (new rows or new
    /// vectors for old rows) and `writer.removeVector`, call this with the rows touched; it
    /// links new rows, relinks changed ones, tombstones and repairs deleted ones, and saves
    /// what changed in the same transaction. Searches wait meanwhile (a write lock); they
    /// never see a half-linked node.
    public func apply(upserted: [UInt32], deleted: [UInt32], in writer: StoreWriter) throws {
        try writer.flushVectors()
        let reader = writer.store.reader(on: writer.transaction)
        let table = try VectorTable(reader)
        try withWriteLock {
            let graph = self.graph
            graph.reserve(table.rows)
            let newCount = max(graph.count, table.rows)
            if newCount > graph.count { graph.count = newCount }
            linkTerms.update(upserted, table: table)
            let scratch = SearchScratch(rows: graph.count, ef: parameters.efConstruction)
            try linkTerms.withPointer { termPointer in
                let dummy = UnsafeMutablePointer<Float>.allocate(capacity: dimension)
                defer { dummy.deallocate() }
                let scorer = NodeScorer(query: dummy, table: table, mode: linkMode, rowTerms: termPointer)
                for row in upserted {
                    guard table.hasVector(row) else { throw IndexError.noVector(.item, .number(UInt64(row))) }
                    codes?.encode(row, table)
                    let level = graph.isInGraph(row) ? Int(graph.levels[Int(row)])
                                                     : HNSWGraph.level(of: row, seed: parameters.seed, m: parameters.m)
                    graph.insert(row, level: level, efConstruction: parameters.efConstruction, scorer: scorer, scratch: scratch)
                    graph.deleted.remove(row)
                    markDirty(row, graph)
                    // The nodes it linked to took a link back: their lists changed too.
                    for l in 0...level { for n in graph.neighbours(row, l) { markDirty(n, graph) } }
                }
                var newlyDeleted = RowBitmap()
                for row in deleted where graph.isInGraph(row) && !graph.deleted.contains(row) {
                    graph.deleted.insert(row)
                    newlyDeleted.insert(row)
                    codes?.encode(row, table)  // a removed vector: a dead end, as in float32
                    markDirty(row, graph)
                }
                if newlyDeleted.count > 0 {
                    repair(pointingTo: newlyDeleted, graph: graph, scorer: scorer)
                    if graph.deleted.contains(graph.entryPoint) { graph.chooseEntryPoint() }
                }
            }
            if metric == .innerProduct && parameters.headFraction > 0 && !head.update(upserted, table) { selectHead(table) }
        }
        try HNSWStorage.saveChanges(self, writer)
    }

    /// Relinks every live node that points at a newly deleted one: its list is re-selected
    /// from its live neighbours and the live neighbours of the deleted ones (two hops), so the
    /// graph stays navigable without them. One pass over all lists, whatever the batch size.
    private func repair(pointingTo gone: RowBitmap, graph: HNSWGraph, scorer: NodeScorer) {
        for r in 0..<graph.count {
            let row = UInt32(r)
            guard graph.isInGraph(row), !graph.deleted.contains(row) else { continue }
            for l in 0...Int(graph.levels[r]) {
                let current = graph.neighbours(row, l)
                guard current.contains(where: { gone.contains($0) }) else { continue }
                var pool = Set<UInt32>()
                for n in current {
                    if !graph.deleted.contains(n) { pool.insert(n); continue }
                    for second in graph.neighbours(n, l) where second != row && !graph.deleted.contains(second) {
                        pool.insert(second)
                    }
                }
                let fromRow = scorer.from(row)
                var candidates = pool.map { (score: fromRow.score($0), row: $0) }.filter { !$0.score.isNaN }
                candidates.sort { $0.score > $1.score || ($0.score == $1.score && $0.row < $1.row) }
                let chosen = graph.selectNeighbours(candidates, limit: graph.maxNeighbours(l), scorer: fromRow)
                graph.lock(row)
                graph.setNeighbours(row, l, chosen)
                graph.unlock(row)
                markDirty(row, graph)
            }
        }
    }

    private func markDirty(_ row: UInt32, _ graph: HNSWGraph) {
        dirty.insert(row)
    }
}

extension HNSWGraph {
    /// A new entry point after the old one was deleted: the live node of the highest level;
    /// with none left the graph is empty to walks (`maxLevel` -1: searches use the head and
    /// exact paths, and the next insert starts the graph again).
    func chooseEntryPoint() {
        var best: (level: Int, row: UInt32)?
        for r in 0..<count where levels[r] != Self.notInGraph && !deleted.contains(UInt32(r)) {
            if best == nil || Int(levels[r]) > best!.level { best = (Int(levels[r]), UInt32(r)) }
        }
        entryPoint = best?.row ?? 0
        maxLevel = best?.level ?? -1
    }
}
