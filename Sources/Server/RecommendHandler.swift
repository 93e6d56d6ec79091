import Store
import VectorIndex
import VectorMath

/// What a recommend or similar request asks of the ranking stage, after retrieval.
public struct RankingQuery {
    /// Whom or what the answer is for.
    public enum Subject: Equatable {
        case user(row: UInt32, id: ExternalID)
        case item(row: UInt32, id: ExternalID)
        case vector
    }

    public var subject: Subject
    /// The query vector retrieval used (the user's, the item's, or the request's).
    public var vector: [Float]
    /// Results wanted.
    public var k: Int
    /// Request context (e.g. "device": "mobile").
    public var context: [String: String]
    /// MMR trade-off (1 = relevance only) when the request asked for diversity.
    public var mmrLambda: Float?
    /// Give a reason per result.
    public var explain: Bool
    /// The store's metric (retrieval scores follow it: higher is better).
    public var metric: Metric
}

/// One ranked result: an item row, its final score, and why (when asked).
public struct RankedItem: Equatable {
    public var row: UInt32
    public var score: Float
    public var reason: String?

    public init(row: UInt32, score: Float, reason: String? = nil) {
        self.row = row
        self.score = score
        self.reason = reason
    }
}

/// The ranking stage of `recommend` and `similar`, plugged into the server: it gets the
/// retrieved candidates (best first, already filtered) and returns the top `k` in its order.
///
/// The server asks for one session per worker thread and index generation; a session is used
/// by one thread at a time and may keep scratch space between requests.
public protocol RecommendHandler: Sendable {
    /// A short description for the startup log line.
    var summary: String { get }
    func makeSession(store: EmbeddingStore, index: any SearchIndex) throws -> any RecommendSession
}

/// Per-worker ranking state (see `RecommendHandler`).
public protocol RecommendSession: AnyObject {
    func rank(_ query: RankingQuery, candidates: [ScoredID], reader: StoreReader) throws -> [RankedItem]
}

/// No ranking stage: the top `k` retrieved candidates with their retrieval scores (shown as
/// `Metric.displayScore`). Context and MMR are ignored.
public struct RetrievalOnlyRecommender: RecommendHandler {
    public init() {}

    public var summary: String { "retrieval only (no ranking model)" }

    public func makeSession(store: EmbeddingStore, index: any SearchIndex) throws -> any RecommendSession {
        Session()
    }

    final class Session: RecommendSession {
        func rank(_ query: RankingQuery, candidates: [ScoredID], reader: StoreReader) throws -> [RankedItem] {
            candidates.prefix(query.k).map { c in
                RankedItem(row: c.id, score: query.metric.displayScore(c.score),
                           reason: query.explain ? Self.reason(query, c) : nil)
            }
        }

        static func reason(_ query: RankingQuery, _ c: ScoredID) -> String {
            let score = query.metric.displayScore(c.score)
            switch query.subject {
            case .user(_, let id): return "near user \(id)'s embedding (\(query.metric.rawValue) \(score))"
            case .item(_, let id): return "similar to item \(id) (\(query.metric.rawValue) \(score))"
            case .vector: return "near the query vector (\(query.metric.rawValue) \(score))"
            }
        }
    }
}
