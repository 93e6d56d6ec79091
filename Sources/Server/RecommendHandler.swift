import Store
import VectorIndex
import VectorMath

/// What a recommend or similar request asks of the ranking stage, checked and resolved by the
/// request handler (ids to rows, the request's filter to rows).
public struct RankingQuery {
    /// Whom or what the answer is for.
    public enum Subject: Equatable {
        /// A user the store knows (it may have no embedding: a ranking stage then starts from
        /// its history or from popular items).
        case user(row: UInt32, id: ExternalID)
        /// Items similar to this item (left out of the answer).
        case item(row: UInt32, id: ExternalID)
        /// Items near the request's vector (of the store's dimension, finite).
        case vector([Float])
    }

    /// MMR as the request asked for it.
    public struct Diversity: Equatable {
        /// How MMR compares two items.
        public enum Similarity: String, Equatable {
            case cosine, jaccard
        }

        public var lambda: Float
        public var similarity: Similarity
        /// nil: the stage's default (every candidate).
        public var poolFactor: Int?
    }

    public var subject: Subject
    /// For item and vector subjects: a user whose history and features feed the ranking.
    public var user: (row: UInt32, id: ExternalID)?
    /// Results wanted.
    public var k: Int
    /// Retrieval depth and index knobs (`parameters.k` is the candidate count).
    public var parameters: SearchParameters
    /// The request's filter resolved to rows (categories, allow list, explicit excludes); the
    /// stage adds the user's history (unless `includeSeen`), the session's items and the item itself.
    public var filter: SearchFilter?
    public var includeSeen: Bool
    /// Request context (e.g. "device": "mobile").
    public var context: [String: String]
    /// This session's items (ids the store knows: the handler answers UNKNOWN_ID for others;
    /// a deleted one has no vector and only stays left out).
    public var sessionItems: [ExternalID] = []
    /// Weight of the session items' mean embedding in the query vector (nil: 0.5).
    public var sessionWeight: Float?
    /// Request time, seconds since 1970 (nil: now).
    public var time: Int64?
    public var utcOffsetSeconds: Int64 = 0
    /// MMR when the request asked for diversity.
    public var mmr: Diversity?
    public var minScore: Float?
    public var categoryCap: Int?
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
    /// The retrieval score (display convention); nil for popular-list candidates.
    public var annScore: Float?

    public init(row: UInt32, score: Float, reason: String? = nil, annScore: Float? = nil) {
        self.row = row
        self.score = score
        self.reason = reason
        self.annScore = annScore
    }
}

/// A ranked answer and where its query vector came from ("embedding", "history-mean",
/// "session", "popular"; empty when the stage does not say).
public struct RankedAnswer {
    public var items: [RankedItem]
    public var querySource: String

    public init(items: [RankedItem], querySource: String = "") {
        self.items = items
        self.querySource = querySource
    }
}

/// The query stage of `recommend` and `similar`, plugged into the server: it retrieves
/// candidates through the worker's retriever and returns the top `k` in its order.
///
/// The server asks for one session per worker thread and index generation; a session is used
/// by one thread at a time and keeps its scratch space between requests.
public protocol RecommendHandler: Sendable {
    /// A short description for the startup log line, `health` and `stats`.
    var summary: String { get }
    func makeSession(store: EmbeddingStore, index: any SearchIndex, retriever: any Retriever) throws -> any RecommendSession
    /// Called when the server opens a store and index (startup, reload) before serving them:
    /// a stage that cannot serve this store throws here (the reload then keeps the old one).
    func prepare(store: EmbeddingStore, index: any SearchIndex) throws
    /// Called by the writer after each committed write, before readers are told of it: shared
    /// state derived from the store can be brought forward here, so that no request waits for it.
    func didCommit(store: EmbeddingStore, index: any SearchIndex) throws
}

extension RecommendHandler {
    public func prepare(store: EmbeddingStore, index: any SearchIndex) throws {}
    public func didCommit(store: EmbeddingStore, index: any SearchIndex) throws {}
}

/// Per-worker state of a `RecommendHandler`.
public protocol RecommendSession: AnyObject {
    func answer(_ query: RankingQuery, reader: StoreReader) throws -> RankedAnswer
}

/// No ranking stage: the top `k` retrieved candidates with their retrieval scores (shown as
/// `Metric.displayScore`). Context, session time, rules and MMR are ignored; session items
/// are left out of the answer.
public struct RetrievalOnlyRecommender: RecommendHandler {
    public init() {}

    public var summary: String { "retrieval only (no ranking model)" }

    public func makeSession(store: EmbeddingStore, index: any SearchIndex, retriever: any Retriever) throws -> any RecommendSession {
        Session(retriever: retriever)
    }

    final class Session: RecommendSession {
        let retriever: any Retriever

        init(retriever: any Retriever) { self.retriever = retriever }

        func answer(_ query: RankingQuery, reader: StoreReader) throws -> RankedAnswer {
            var excluded: [UInt32] = []
            let vector: [Float]
            switch query.subject {
            case let .user(row, id):
                guard let v = try reader.vector(ofRow: row, .user) else { throw ServerError.noVector(.user, id.description) }
                vector = v
                if !query.includeSeen { excluded = try reader.withHistory(ofUser: row) { $0.items } }
            case let .item(row, id):
                guard let v = try reader.vector(ofRow: row, .item) else { throw ServerError.noVector(.item, id.description) }
                vector = v
                excluded = [row]
            case let .vector(v):
                vector = v
            }
            for id in query.sessionItems {
                if let row = try reader.row(of: id, .item) { excluded.append(row) }
            }
            var filter = query.filter ?? SearchFilter()
            if !excluded.isEmpty {
                if filter.excluded == nil { filter.excluded = RowBitmap() }
                for row in excluded { filter.excluded!.insert(row) }
            }
            let found = try retriever.search(reader, query: vector, parameters: query.parameters,
                                             filter: filter.isEmpty ? nil : filter)
            let items = found.prefix(query.k).map { c in
                RankedItem(row: c.id, score: query.metric.displayScore(c.score),
                           reason: query.explain ? Self.reason(query, c) : nil, annScore: query.metric.displayScore(c.score))
            }
            return RankedAnswer(items: items, querySource: "embedding")
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
