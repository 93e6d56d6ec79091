import Store
import VectorMath

/// One worker's HNSW search: scratch heaps, visited marks, and the vector table of the
/// snapshot it last searched (rebuilt when the snapshot changes).
public final class HNSWRetriever: Retriever {
    let index: HNSWSearchIndex
    private let scratch: SearchScratch
    private var tables = VectorTableCache()
    private var query: [Float]
    private var top: TopK
    /// The k best exact scores of the walk's answer, head rows included: a floor for the
    /// final k-th best, so the head scan can prune before `top` is full.
    private var floor: TopK
    private let headScratch: BlockedQueryScratch
    /// The int8 walk's folded query weights.
    private let weightScratch: UnsafeMutablePointer<Float>
    /// The int8 walk's query weights.
    private let byteWeights: UnsafeMutablePointer<Int8>

    init(index: HNSWSearchIndex) {
        self.index = index
        scratch = SearchScratch(rows: index.graph.count, ef: max(index.parameters.efSearch, 64))
        query = [Float](repeating: 0, count: index.dimension)
        top = TopK(capacity: 100)
        floor = TopK(capacity: 100)
        weightScratch = .allocate(capacity: index.dimension)
        weightScratch.initialize(repeating: 0, count: index.dimension)
        headScratch = BlockedQueryScratch(dimension: index.dimension)
        byteWeights = .allocate(capacity: index.dimension)
        byteWeights.initialize(repeating: 0, count: index.dimension)
    }

    deinit {
        weightScratch.deallocate()
        byteWeights.deallocate()
    }

    public func search(_ reader: StoreReader, query q: UnsafeBufferPointer<Float>, parameters: SearchParameters,
                       filter: SearchFilter?) throws -> [ScoredID] {
        guard q.count == index.dimension else { throw IndexError.dimensionMismatch(expected: index.dimension, got: q.count) }
        guard (1...FlatIndex.maxK).contains(parameters.k) else { throw IndexError.invalidK(parameters.k) }
        let table = try tables.table(reader)
        let filter = (filter?.isEmpty ?? true) ? nil : filter
        let k = parameters.k
        query.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: q.baseAddress!, count: index.dimension) }
        if index.metric == .cosine { query.withUnsafeMutableBufferPointer { _ = Distance.normalize($0.baseAddress!, count: index.dimension) } }
        return index.withReadLock {
            let graph = index.graph
            let deleted = graph.deleted
            let hasDeleted = deleted.count > 0
            // One predicate for the walk, the head and the exact paths; nil when every row passes.
            let accept: ((UInt32) -> Bool)? = filter == nil && !hasDeleted ? nil : { row in
                !(hasDeleted && deleted.contains(row)) && (filter?.accepts(row) ?? true)
            }
            if let filter, Double(filter.passing(outOf: table.rows)) < index.exactBelow * Double(table.rows) {
                return exact(table: table, k: k, rows: filter.allowed?.rows, accept: accept!)
            }
            // A snapshot older than the last online insert cannot start from a newer entry point.
            if graph.maxLevel >= 0 && Int(graph.entryPoint) >= table.rows {
                return exact(table: table, k: k, accept: accept ?? { _ in true })
            }
            top.reset(k: k)
            floor.reset(k: k)
            query.withUnsafeBufferPointer { qp in
                let exactScorer = NodeScorer(query: qp.baseAddress!, table: table,
                                             mode: index.metric == .l2 ? .l2 : .innerProduct, rowTerms: nil)
                var scorer = exactScorer
                let codes = index.codes  // held to the end of the walk: `CodeQuery` does not retain it
                defer { withExtendedLifetime(codes) {} }
                if let codes {
                    scorer.coded = CodeQuery(qp.baseAddress!, codes: codes, floatWeights: weightScratch, weights: byteWeights)
                }
                let head = index.head
                if graph.maxLevel >= 0 {
                    let excluded = filter?.excluded?.count ?? 0
                    let ef = max(parameters.ef ?? index.parameters.efSearch, k) + excluded
                    let (entry, entryScore) = graph.descend(from: graph.entryPoint, top: graph.maxLevel, to: 0,
                                                            scorer: scorer, locking: false)
                    graph.searchLevel(entry: entry, entryScore: entryScore, ef: ef, level: 0, scorer: scorer,
                                      scratch: scratch, locking: false,
                                      followRepairs: HNSWParameters.followsRepairs(k: k, ef: ef), accept: accept)
                    let hasHead = head.count > 0
                    let results = scratch.results
                    if scorer.coded == nil {
                        for i in 0..<results.count { offer(results.scores[i], results.rows[i], head: hasHead ? head : nil) }
                    } else {
                        rescore(results, exactScorer, head: hasHead ? head : nil)
                    }
                }
                head.scan(qp.baseAddress!, scratch: headScratch, visible: UInt32(table.rows), floor: floor.threshold,
                          top: &top, accept: accept)
            }
            return top.sorted()
        }
    }

    /// One of the walk's final candidates with its exact score: to `floor` when there is a
    /// head, and to `top` unless it is a head row (the head scan offers those).
    @inline(__always)
    private func offer(_ score: Float, _ row: UInt32, head: HNSWHead?) {
        if let head {
            floor.push(score: score, id: row)
            if head.set.contains(row) { return }
        }
        top.push(score: score, id: row)
    }

    /// Scores the walk's final candidates (found on int8 codes) in float32 and `offer`s them,
    /// in chunks of the scratch's batch size.
    private func rescore(_ results: ScoreHeap, _ scorer: NodeScorer, head: HNSWHead?) {
        let batch = scratch.batchCapacity
        var i = 0
        while i < results.count {
            var n = 0
            while i < results.count && n < batch {
                scratch.batchRows[n] = results.rows[i]
                i += 1
                n += 1
            }
            scorer.score(rows: scratch.batchRows, count: n, pointers: scratch.batchPointers, into: scratch.batchScores)
            for j in 0..<n { offer(scratch.batchScores[j], scratch.batchRows[j], head: head) }
        }
    }

    /// Exact search over the rows `accept` lets through (few, or the graph would be used):
    /// only `rows` when given (an allow list), else every row of the snapshot. Rows are scored
    /// in batches of the scratch's size (one kernel call each, as the walk does).
    private func exact(table: VectorTable, k: Int, rows: [UInt32]? = nil, accept: (UInt32) -> Bool) -> [ScoredID] {
        top.reset(k: k)
        query.withUnsafeBufferPointer { qp in
            let q = qp.baseAddress!, dimension = index.dimension, l2 = index.metric == .l2
            let batchRows = scratch.batchRows, pointers = scratch.batchPointers, scores = scratch.batchScores
            var n = 0
            func flush() {
                if l2 {
                    Kernels.squaredL2Rows(q, rows: pointers, count: n, dimension: dimension, into: scores)
                } else {
                    Kernels.dotRows(q, rows: pointers, count: n, dimension: dimension, into: scores)
                }
                for j in 0 ..< n {
                    let s = l2 ? -scores[j] : scores[j]
                    if !s.isNaN { top.push(score: s, id: batchRows[j]) }  // NaN: a removed vector
                }
                n = 0
            }
            func visit(_ r: UInt32) {
                guard Int(r) < table.rows, accept(r), let v = table.vector(r) else { return }
                batchRows[n] = r
                pointers[n] = v
                n += 1
                if n == scratch.batchCapacity { flush() }
            }
            if let rows {
                for r in rows { visit(r) }
            } else {
                for r in 0 ..< UInt32(table.rows) { visit(r) }
            }
            if n > 0 { flush() }
        }
        return top.sorted()
    }
}
