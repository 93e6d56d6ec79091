import Store
import VectorIndex
import VectorMath

/// One request to the ranking pipeline: what to start from, how many results, filters,
/// context, business rules and diversity.
public struct RankRequest: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        /// Recommendations for a user (an unknown user gets the cold-start path).
        case user(ExternalID)
        /// Items similar to an item (the item itself is left out).
        case item(ExternalID)
        /// Items near a vector.
        case vector([Float])
        /// Popular items within the filters (no query vector).
        case popular
    }

    public var target: Target
    /// For `.item`, `.vector` and `.popular` targets: a user whose history and features feed
    /// the user and cross features (and whose history is left out with `excludeSeen`).
    public var user: ExternalID?
    public var k: Int
    /// Candidates retrieved before ranking (default 500).
    public var candidates: Int
    public var filters: RankFilters
    public var context: RequestContext
    public var mmr: MMROptions
    public var rules: BusinessRules
    /// Attach a reason to every result.
    public var explain: Bool
    /// HNSW `ef` / IVF `nprobe` for retrieval (nil: the index's defaults).
    public var ef: Int?
    public var nprobe: Int?

    public init(target: Target, user: ExternalID? = nil, k: Int = 10, candidates: Int = 500,
                filters: RankFilters = RankFilters(), context: RequestContext = RequestContext(),
                mmr: MMROptions = MMROptions(), rules: BusinessRules = BusinessRules(), explain: Bool = false,
                ef: Int? = nil, nprobe: Int? = nil) {
        self.target = target
        self.user = user
        self.k = k
        self.candidates = candidates
        self.filters = filters
        self.context = context
        self.mmr = mmr
        self.rules = rules
        self.explain = explain
        self.ef = ef
        self.nprobe = nprobe
    }

    public static let maxK = 10_000
    public static let maxCandidates = 100_000

    /// Throws `invalidRequest` naming the first field out of range.
    public func validate() throws {
        func bad(_ field: String, _ reason: String) -> RankingError { .invalidRequest(field: field, reason: reason) }
        guard (1 ... Self.maxK).contains(k) else { throw bad("k", "\(k): expected 1...\(Self.maxK)") }
        guard (k ... Self.maxCandidates).contains(candidates) else {
            throw bad("candidates", "\(candidates): expected k (\(k))...\(Self.maxCandidates)")
        }
        guard mmr.lambda >= 0 && mmr.lambda <= 1 else { throw bad("mmr.lambda", "\(mmr.lambda): expected 0...1") }
        guard mmr.poolFactor >= 0 else { throw bad("mmr.poolFactor", "\(mmr.poolFactor): expected 0 (every candidate) or more") }
        guard context.sessionWeight >= 0 && context.sessionWeight <= 1 else {
            throw bad("context.sessionWeight", "\(context.sessionWeight): expected 0...1")
        }
        if let cap = rules.categoryCap, cap < 1 { throw bad("rules.categoryCap", "\(cap): expected at least 1") }
        if let m = rules.minScore, !m.isFinite { throw bad("rules.minScore", "\(m): expected a finite number") }
        if case .vector(let v) = target {
            if v.contains(where: { !$0.isFinite }) { throw bad("target", "vector has a NaN or infinite component") }
            let squaredNorm = v.withUnsafeBufferPointer { $0.isEmpty ? 0 : Distance.squaredNorm($0.baseAddress!, count: $0.count) }
            if squaredNorm > Distance.maximumSquaredNorm {
                throw bad("target", "vector's squared norm \(squaredNorm) exceeds \(Distance.maximumSquaredNorm) (scores would overflow float32)")
            }
        }
        for (field, t) in [("context.time", context.time), ("context.historyBefore", context.historyBefore)] {
            if let t, !RequestContext.times.contains(t) {
                throw bad(field, "\(t): expected \(RequestContext.times.lowerBound)...\(RequestContext.times.upperBound) (seconds since 1970, years 1 to 9999)")
            }
        }
        guard RequestContext.utcOffsets.contains(context.utcOffsetSeconds) else {
            throw bad("context.utcOffsetSeconds", "\(context.utcOffsetSeconds): expected -86400...86400")
        }
    }
}

/// Which items may be returned (pushed into the search as a `SearchFilter`).
public struct RankFilters: Sendable, Equatable {
    /// Only items carrying at least one of these labels of the category column.
    public var includeCategories: [String]
    /// Never items carrying any of these labels.
    public var excludeCategories: [String]
    /// Never these items.
    public var excludeItems: [ExternalID]
    /// Leave out the items of the user's history (before `context.historyBefore` when set).
    public var excludeSeen: Bool
    /// Leave out items released after the request time.
    public var releasedOnly: Bool
    /// Rows already resolved by the caller (a server's own filter: allow lists, other
    /// category columns): its allowed set is intersected with, its excluded set added to, the rest.
    public var rows: SearchFilter?

    public init(includeCategories: [String] = [], excludeCategories: [String] = [], excludeItems: [ExternalID] = [],
                excludeSeen: Bool = true, releasedOnly: Bool = false, rows: SearchFilter? = nil) {
        self.includeCategories = includeCategories
        self.excludeCategories = excludeCategories
        self.excludeItems = excludeItems
        self.excludeSeen = excludeSeen
        self.releasedOnly = releasedOnly
        self.rows = rows
    }
}

/// The circumstances of a request.
public struct RequestContext: Sendable, Equatable {
    /// Request time, seconds since 1970 (nil: the wall clock).
    public var time: Int64?
    /// Offset of the user's local time from UTC, for hour-of-day and day-of-week.
    public var utcOffsetSeconds: Int64
    /// Categorical values (device, country, ...), usable as `context.<key>=<value>` features.
    public var values: [String: String]
    /// This session's recent items: blended into the query vector and left out of the answer.
    public var sessionItems: [ExternalID]
    /// Weight of the session items' mean embedding in the query vector (0...1).
    public var sessionWeight: Float
    /// Replay: only history entries strictly before this time count (training and evaluation).
    public var historyBefore: Int64?

    /// Request times a request may carry: 0001-01-01T00:00:00Z ... 9999-12-31T23:59:59Z.
    public static let times = HistoryEntry.validTimes
    /// UTC offsets a request may carry, in seconds.
    public static let utcOffsets: ClosedRange<Int64> = -86_400 ... 86_400

    public init(time: Int64? = nil, utcOffsetSeconds: Int64 = 0, values: [String: String] = [:],
                sessionItems: [ExternalID] = [], sessionWeight: Float = 0.5, historyBefore: Int64? = nil) {
        self.time = time
        self.utcOffsetSeconds = utcOffsetSeconds
        self.values = values
        self.sessionItems = sessionItems
        self.sessionWeight = sessionWeight
        self.historyBefore = historyBefore
    }
}

/// Maximal marginal relevance: greedy picks maximising
/// `lambda * relevance - (1 - lambda) * max similarity to the picks so far`.
public struct MMROptions: Sendable, Equatable {
    public enum Similarity: String, Sendable, CaseIterable {
        /// Cosine of item embeddings (BLAS: one row of the pool per pick).
        case cosine
        /// Jaccard overlap of the items' category labels.
        case jaccard
    }

    /// How a candidate's similarity to the items already picked is counted.
    public enum Penalty: String, Sendable, CaseIterable {
        /// The nearest pick (classic MMR).
        case max
        /// The mean over the picks (the greedy step of relevance + mean pairwise dissimilarity).
        case mean
    }

    /// 1: pure relevance order; lower: more diversity.
    public var lambda: Float
    public var similarity: Similarity
    /// The pool MMR picks from: every candidate retrieved (0, the default), or the
    /// `poolFactor * k` best-scored ones.
    public var poolFactor: Int
    /// Rescale the pool's pairwise similarities to [0, 1] by their min and max (off by
    /// default). It needs every pair of the pool (a `pool x pool` product), where raw
    /// similarities need one row per pick; and it makes a pair's similarity depend on the
    /// pool's extremes, so a wider pool counts the same two items as less alike.
    public var normalizeSimilarity: Bool
    public var penalty: Penalty
    /// How scores become relevance: `.model` follows the model's output (`choice` logits as
    /// chances, and probabilities, over the mean of the list's k best; else min-max); `.minMax`
    /// always min-max over the pool.
    public var relevance: Relevance

    public enum Relevance: String, Sendable, CaseIterable {
        case model
        case minMax = "min-max"
    }

    public init(lambda: Float = 0.7, similarity: Similarity = .cosine, poolFactor: Int = 0, normalizeSimilarity: Bool = false,
                penalty: Penalty = .mean, relevance: Relevance = .model) {
        self.penalty = penalty
        self.relevance = relevance
        self.lambda = lambda
        self.similarity = similarity
        self.poolFactor = poolFactor
        self.normalizeSimilarity = normalizeSimilarity
    }
}

/// Business rules applied after scoring.
public struct BusinessRules: Sendable, Equatable {
    /// Candidates scoring below this are dropped (the answer may be shorter than k).
    public var minScore: Float?
    /// At most this many results per category label (an item counts for each of its labels).
    public var categoryCap: Int?

    public init(minScore: Float? = nil, categoryCap: Int? = nil) {
        self.minScore = minScore
        self.categoryCap = categoryCap
    }
}
