import Dispatch
import Foundation
import Store
import VectorIndex
import VectorMath

/// One worker's pipeline: retrieve, compute features, score, apply rules, diversify, explain.
/// Owns every buffer a request needs and reuses them, so a steady stream of requests of the
/// same size allocates little beyond the results (the retriever's candidate list, filter
/// bitmaps, the answer). Not thread-safe: one per worker, over a shared `Recommender`.
public final class Ranker {
    public private(set) var recommender: Recommender
    @usableFromInline private(set) var catalog: ItemCatalog
    @usableFromInline private(set) var scorer: Scorer
    let retriever: any Retriever
    let dimension: Int
    /// Stage timings of the last `rank` call.
    public private(set) var lastTimings = RankTimings()

    // Request state (see Ranker+Profile.swift).
    var time: Int64 = 0
    var utcOffset: Int64 = 0
    var hourOfDay = 0.0
    var weekday = 0
    var userRow: UInt32?
    var historyRows: [UInt32] = []
    var historyTimes: [Int64] = []
    var windowRows: [UInt32] = []
    var windowVectors: [Float] = []
    var windowPresent: [Bool] = []
    var windowInverseNorms: [Float] = []
    var labelCounts: [Float] = []
    var touchedLabels: [UInt32] = []
    var labelTotal: Float = 0
    var hourShare = [Float](repeating: 0, count: 24)
    var timedEvents = 0
    var categoryEntropy = Float.nan
    var newItemTaste = Float.nan
    var recencyDays = Float.nan
    var userFeatures: [(column: UInt16, value: StoredFeature)] = []
    var userNumeric: [Float] = []
    var query: [Float]
    /// The query as scored (unit length for cosine stores).
    var scaledQuery: [Float]
    var hasQuery = false
    var querySource = QuerySource.embedding
    var contextValues: [String: String] = [:]

    // Candidates (see Ranker+Features.swift, Ranker+Selection.swift).
    var candidateCount = 0
    var candidateRows: [UInt32] = []
    var annScores: [Float] = []
    var candidateVectors: [Float] = []
    var candidatePresent: [Bool] = []
    var candidateInverseNorms: [Float] = []
    var embeddingScores: [Float] = []
    var windowSimilarity: [Float] = []
    var maxSimilarity: [Float] = []
    var meanSimilarity: [Float] = []
    var argMaxSimilarity: [Int32] = []
    var features = FeatureMatrix()
    var normalized: [Float] = []
    var candidateScores: [Float] = []
    var heap = TopK(capacity: 0)
    var pool: [ScoredID] = []
    var poolRelevance: [Float] = []
    var poolVectors: [Float] = []
    var poolSimilarity: [Float] = []
    var mmrBest: [Float] = []
    var mmrTaken: [Bool] = []
    var picks: [Int] = []
    var capCounts: [Int32] = []
    /// The vector table of the snapshot last ranked from (candidate, window and session vectors).
    var tables = VectorTableCache()
    var sessionRows: [UInt32] = []
    var sessionVectors: [Float] = []
    var sessionPresent: [Bool] = []

    init(recommender: Recommender, retriever: any Retriever) {
        self.recommender = recommender
        catalog = recommender.catalog
        scorer = recommender.scorer
        self.retriever = retriever
        dimension = catalog.dimension
        query = [Float](repeating: 0, count: catalog.dimension)
        scaledQuery = query
        sizeCatalogBuffers()
    }

    /// Points this ranker at `recommender`, a newer catalogue over the same index (after a
    /// write), keeping every buffer it has grown. A fresh ranker grows them again: measured
    /// in-process on the 1M demo catalogue with a fresh ranker per request, +0.15-0.3 ms each.
    public func rebind(to recommender: Recommender) {
        precondition(recommender.index === self.recommender.index, "Ranker.rebind: another index needs another retriever")
        self.recommender = recommender
        catalog = recommender.catalog
        scorer = recommender.scorer
        sizeCatalogBuffers()
    }

    /// The buffers sized by the catalogue (user columns, category labels).
    private func sizeCatalogBuffers() {
        userNumeric = [Float](repeating: .nan, count: (catalog.userColumns.map { Int($0.number) }.max() ?? -1) + 1)
        labelCounts = [Float](repeating: 0, count: catalog.categories?.labelCount ?? 0)
        capCounts = [Int32](repeating: 0, count: catalog.categories?.labelCount ?? 0)
    }

    /// Runs the whole pipeline for one request on one snapshot.
    public func rank(_ reader: StoreReader, _ request: RankRequest) throws -> RankResult {
        try request.validate()
        var timings = RankTimings()
        var clock = DispatchTime.now().uptimeNanoseconds
        func lap(_ field: inout UInt64) {
            let now = DispatchTime.now().uptimeNanoseconds
            field = now - clock
            clock = now
        }
        return try RankingError.wrap {
            try prepare(reader, target: request.target, user: request.user, context: request.context)
            let filter = try makeFilter(reader, request)
            lap(&timings.prepare)
            try retrieve(reader, request, filter: filter.filter)
            lap(&timings.retrieve)
            try computeFeatures(reader)
            lap(&timings.features)
            scoreCandidates()
            lap(&timings.score)
            let items = try select(reader, request)
            lap(&timings.select)
            lastTimings = timings
            return RankResult(items: items, querySource: querySource, candidateCount: candidateCount,
                              excludedCount: filter.excluded, timings: timings)
        }
    }

    /// Recommendations for `user` (history left out unless `filters.excludeSeen` is false).
    public func recommend(_ reader: StoreReader, user: ExternalID, k: Int = 10, candidates: Int = 500,
                          filters: RankFilters = RankFilters(), context: RequestContext = RequestContext(),
                          mmr: MMROptions = MMROptions(), rules: BusinessRules = BusinessRules(),
                          explain: Bool = false) throws -> RankResult {
        try rank(reader, RankRequest(target: .user(user), k: k, candidates: candidates, filters: filters, context: context,
                                     mmr: mmr, rules: rules, explain: explain))
    }

    /// Items similar to `item`; user features and history only when `user` is given.
    public func similar(_ reader: StoreReader, item: ExternalID, k: Int = 10, candidates: Int = 500, user: ExternalID? = nil,
                        filters: RankFilters = RankFilters(), context: RequestContext = RequestContext(),
                        mmr: MMROptions = MMROptions(), rules: BusinessRules = BusinessRules(),
                        explain: Bool = false) throws -> RankResult {
        try rank(reader, RankRequest(target: .item(item), user: user, k: k, candidates: candidates, filters: filters,
                                     context: context, mmr: mmr, rules: rules, explain: explain))
    }

    /// Computes the features of `items` for the user at `userRow` (its embedding, or its
    /// history mean, as the query vector) in `context`, and hands the matrix (rows in
    /// `recommender.scorer.layout` order, one column per item) to `body`. Training uses this.
    public func withFeatures<R>(_ reader: StoreReader, userRow: UInt32?, items: [UInt32], context: RequestContext,
                                _ body: (FeatureMatrix) throws -> R) throws -> R {
        try RankingError.wrap {
            try prepare(reader, userRow: userRow, target: nil, context: context)
            setCandidates(items.map { ScoredID(id: $0, score: .nan) })
            try computeFeatures(reader)
            return try body(features)
        }
    }

    /// Scores of `items` for the user at `userRow` under the bound model (see `withFeatures`).
    public func scores(_ reader: StoreReader, userRow: UInt32?, items: [UInt32], context: RequestContext) throws -> [Float] {
        try withFeatures(reader, userRow: userRow, items: items, context: context) { _ in
            scoreCandidates()
            return Array(candidateScores[0 ..< candidateCount])
        }
    }

    static func grow<T>(_ array: inout [T], to count: Int, _ fill: T) {
        if array.count < count { array = [T](repeating: fill, count: max(count, array.count * 2)) }
    }
}
