import Store

/// One result of the pipeline.
public struct Recommendation: Sendable, Equatable {
    public var row: UInt32
    public var id: ExternalID
    /// The model's score (after the logistic link when the model has one).
    public var score: Float
    /// The retrieval score (metric convention, higher is better); nil for candidates taken
    /// from the popularity list (cold start).
    public var annScore: Float?
    /// Why it was recommended (requests with `explain`).
    public var explanation: Explanation?
}

/// The reason behind a result: the most similar item of the user's recent history, and the
/// feature that contributed most to the score. `summary` picks the history item when its
/// cosine similarity is at least `Explanation.similarityThreshold`, else the feature.
public struct Explanation: Sendable, Equatable {
    public static let similarityThreshold: Float = 0.5

    public var historyRow: UInt32?
    public var historyItem: ExternalID?
    public var historySimilarity: Float?
    public var topFeature: String?
    public var topContribution: Float?

    public var summary: String {
        if let item = historyItem, let s = historySimilarity, s >= Self.similarityThreshold {
            return "because you liked \(item) (cosine \(Self.short(s)))"
        }
        if let f = topFeature, let v = topContribution { return "top feature \(f) (\(v >= 0 ? "+" : "")\(Self.short(v)))" }
        return "no reason available"
    }

    static func short(_ x: Float) -> String {
        let r = (x * 1000).rounded() / 1000
        return "\(r)"
    }
}

/// How the query vector was found.
public enum QuerySource: String, Sendable, Equatable {
    /// The user's (or item's, or the request's) own embedding.
    case embedding
    /// A user without an embedding: the mean of the recent history's item embeddings.
    case historyMean = "history-mean"
    /// Only the session's items gave a vector.
    case session
    /// No vector at all: popular items within the filters.
    case popular
}

/// Time spent in each stage of the last request, nanoseconds.
public struct RankTimings: Sendable, Equatable {
    public var prepare: UInt64 = 0
    public var retrieve: UInt64 = 0
    public var features: UInt64 = 0
    public var score: UInt64 = 0
    public var select: UInt64 = 0

    public init() {}

    /// Everything after retrieval: features, scoring, rules, MMR and explanations.
    public var ranking: UInt64 { features + score + select }
    public var total: UInt64 { prepare + retrieve + ranking }
}

/// The answer to a `RankRequest`.
public struct RankResult: Sendable, Equatable {
    public var items: [Recommendation]
    public var querySource: QuerySource
    /// Candidates that reached the ranking stage.
    public var candidateCount: Int
    /// Items left out by the filters' exclusion lists (history, session, explicit ids).
    public var excludedCount: Int
    public var timings: RankTimings
}
