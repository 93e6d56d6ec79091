import LMDB
import Store
import VectorMath

/// One worker's IVF search: scratch for ranking lists, scanning them, and re-scoring.
///
/// A query ranks the lists by their centroids (one BLAS product over all centroids), scans the
/// `nprobe` best (zero-copy from the map) and keeps the best rows that pass the filter. Lists
/// rank by `2 q.c - |c|^2` for l2 and cosine (nearest centroid first), and by
/// `q.c + boundWeight * |q| * maxResidualNorm(list)` for inner product: with item norms that
/// vary, the best inner product in a list is bounded by `q.c + |q| * max |x - c|`, and a list
/// of spread-out rows may hold a winner even when its centroid scores lower.
///
/// float32 lists are scored exactly by the run-time-dispatched contiguous kernels
/// (`Kernels.squaredL2Contiguous` / `dotContiguous`; the batched path's block kernels give
/// bit-identical scores, so batched and single queries give the same answers). int8 lists are
/// scored from their codes (exact integer sums, `Kernels.i16i8DotContiguous`) and the best
/// `k * rerankFactor` candidates are re-scored in float32 from the store.
public final class IVFRetriever: Retriever {
    public let index: IVFSearchIndex
    let dimension: Int
    let metric: Metric

    /// The query as searched (normalised for cosine), its squared norm, and for int8 lists its
    /// 16-bit weights with the factor and `q . offset` from `IVFInt8Quantizer.prepare`.
    var query: [Float]
    var queryNorm2: Float = 0
    var weights: [Int16]
    var weightFactor: Float = 1
    var offsetDot: Float = 0

    /// Per list: `q . c` by BLAS; then the exact `q . c` of the lists re-ranked.
    var centroidDots: [Float] = []
    var exactDots: [Float] = []
    var probes = TopK(capacity: 0)
    /// The lists a query probes, best first, each with its exact `q . c` as score.
    var chosen: [ScoredID] = []
    var probedScratch: [UInt32] = []
    /// Per row of the list being scanned: its dot product with the query.
    var entryScores: [Float] = []
    var codeSums: [Int32] = []
    var listCopy: [UInt32] = []
    var candidates = TopK(capacity: 0)
    var finalists = TopK(capacity: 0)
    var sortedScratch: [ScoredID] = []
    /// The in-memory copy of the lists that the current query scans (nil: it reads them from
    /// its snapshot), and the copy found last, kept while snapshots hold the same state.
    var lists: IVFResidentLists?
    var lastLists: IVFResidentLists?
    /// int8 re-scoring and exact search: the vector table of the snapshot searched last.
    var tables = VectorTableCache()
    /// Scratch of the batched path (IVFRetriever+Batch.swift).
    let batch = IVFBatchScratch()
    /// Scratch for screening float32 lists by their codes (IVFRetriever+Screen.swift).
    let screenScratch: IVFScreenScratch
    /// Ranking lists from the centroid codes: code scores and survivors, and the n best scores.
    let rankScratch: BlockedQueryScratch
    var codeTop = TopK(capacity: 0)
    /// Whether single queries screen float32 lists by their codes when the resident copy has
    /// them (the answers are the same either way; false scores every row in float32).
    public var screensLists = true
    /// Whether single queries rank the lists from the centroid codes when the index has them
    /// (the same lists either way; false computes every centroid's dot product).
    public var ranksListsByCodes = true
    /// Whether the last single query ranked its lists from the centroid codes (tests).
    public internal(set) var rankedByCodes = false
    /// Rows of float32 lists screened by their codes, and how many of them were scored again
    /// in float32, since this retriever was made.
    public var screening: (screened: Int, rescored: Int) { (screenScratch.screenedRows, screenScratch.rescoredRows) }

    public init(index: IVFSearchIndex) {
        self.index = index
        dimension = index.dimension
        metric = index.metric
        query = [Float](repeating: 0, count: index.dimension)
        weights = [Int16](repeating: 0, count: index.dimension)
        screenScratch = IVFScreenScratch(dimension: index.dimension)
        rankScratch = BlockedQueryScratch(dimension: index.dimension, rows: index.info.lists)
    }

    public func search(_ reader: StoreReader, query q: UnsafeBufferPointer<Float>, parameters: SearchParameters,
                       filter: SearchFilter?) throws -> [ScoredID] {
        guard q.count == dimension else { throw IndexError.dimensionMismatch(expected: dimension, got: q.count) }
        let plan = try self.plan(reader, parameters: parameters, filter: filter)
        setQuery(q.baseAddress!)
        if plan.exact {
            return try exactSearch(reader, query: query, k: parameters.k, filter: filter!)
        }
        let txn = reader.transaction
        try rank(txn, nprobe: plan.nprobe)
        candidates.reset(k: index.candidateCount(k: parameters.k))
        var probed = probedScratch
        probed.removeAll(keepingCapacity: true)
        try probe(txn, chosen, skipping: nil, accept: plan.accept, into: &candidates)
        probed.append(contentsOf: chosen.map(\.id))
        if candidates.count < parameters.k {
            try probeMore(txn, probed: &probed, nprobe: plan.nprobe, k: parameters.k, accept: plan.accept, into: &candidates)
        }
        probedScratch = probed
        return try finish(reader, k: parameters.k, heap: candidates)
    }

    // MARK: planning

    struct Plan {
        var nprobe: Int
        var exact: Bool
        var accept: ((UInt32) -> Bool)?
    }

    /// Cost of scoring one passing row by exact search, in rows scanned by a probe.
    static let exactRowCost = 4.0

    /// Checks the snapshot holds the loaded build and chooses how to answer: lists to probe
    /// (more when a filter rejects many rows) or, when few rows pass, exact search over them.
    func plan(_ reader: StoreReader, parameters: SearchParameters, filter: SearchFilter?) throws -> Plan {
        guard (1...FlatIndex.maxK).contains(parameters.k) else { throw IndexError.invalidK(parameters.k) }
        let info = index.info
        if let nprobe = parameters.nprobe, nprobe < 1 {
            throw IndexError.invalidParameter(name: "nprobe", value: "\(nprobe)", expected: "at least 1")
        }
        let build = try index.tables.metaValue(.buildID, as: UInt64.self, in: reader.transaction)
        guard build == info.buildID else {
            throw IndexError.indexChanged(.ivf, expectedBuild: info.buildID, got: build ?? 0)
        }
        try selectCopy(reader.transaction)
        var nprobe = min(info.lists, parameters.nprobe ?? info.nprobe)
        guard let filter, !filter.isEmpty else { return Plan(nprobe: nprobe, exact: false, accept: nil) }
        let total = max(1, info.entries)
        let passing = filter.passing(outOf: total)
        // Probe more lists when the filter passes a small share, so that about as many passing
        // rows are scanned as without a filter; answer exactly when that scans more than
        // reading the passing rows one by one would.
        let share = Double(max(passing, 1)) / Double(total)
        nprobe = min(info.lists, Int((Double(nprobe) / share).rounded(.up)))
        let scanned = Double(nprobe) * Double(total) / Double(info.lists)
        let exact = Double(passing) * Self.exactRowCost <= scanned
        return Plan(nprobe: nprobe, exact: exact, accept: { filter.accepts($0) })
    }

    /// Finds the in-memory copy of the lists of the state `txn` holds (`lists`), or leaves
    /// `lists` nil so that they are read from `txn`. A write transaction's state may not commit:
    /// its queries read the lists from it.
    func selectCopy(_ txn: Transaction) throws {
        lists = nil
        guard txn.isReadOnly, let sequence = try index.tables.metaValue(.storeSequence, as: UInt64.self, in: txn) else { return }
        if let last = lastLists, last.sequence == sequence { lists = last; return }
        lists = index.resident.lookup(sequence: sequence, buildID: index.info.buildID)
        if lists != nil { lastLists = lists }
    }

    /// Calls `body` with list `list` of the current query's state: from the in-memory copy,
    /// or read in place from `txn`.
    @inline(__always)
    func withList<R>(_ txn: Transaction, _ list: UInt32, _ body: (IVFPostingList?) throws -> R) throws -> R {
        if let lists { return try body(lists.postings[Int(list)]) }
        return try index.tables.withList(list, dimension: dimension, encoding: index.info.encoding, in: txn, scratch: &listCopy, body)
    }

    /// `store_sequence` of the in-memory copy the last query scanned; nil when it read its
    /// lists from its snapshot.
    public var scannedResidentSequence: UInt64? { lists?.sequence }

    /// Copies a query into `query` (normalised for cosine unless `normalized` says it is
    /// already) and prepares what scanning needs: its squared norm, and the int8 weights.
    func setQuery(_ q: UnsafePointer<Float>, normalized: Bool = false) {
        screenScratch.prepared = false
        query.withUnsafeMutableBufferPointer { dst in
            dst.baseAddress!.update(from: q, count: dimension)
            if metric == .cosine && !normalized { Distance.normalize(dst.baseAddress!, count: dimension) }
            queryNorm2 = Distance.squaredNorm(dst.baseAddress!, count: dimension)
            if let quantizer = index.quantizer {
                (weightFactor, offsetDot) = weights.withUnsafeMutableBufferPointer {
                    quantizer.prepare(query: dst.baseAddress!, weights: $0.baseAddress!)
                }
            }
        }
    }

    /// Runs a store read, turning `StoreError` into `IndexError.store`.
    static func store<R>(_ body: () throws -> R) throws -> R {
        do { return try body() } catch let error as StoreError { throw IndexError.store(error) }
    }
}
