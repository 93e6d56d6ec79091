import Dispatch
import Foundation
import Store
import VectorIndex
import VectorMath

/// Offline evaluation on held-out interactions: for every user of the test set, the full
/// pipeline (with the user's stored history left out of the answer, the request time set to
/// the user's first test interaction) and, in the same run, pure exact retrieval by the
/// user's embedding (history left out too), both scored against the user's test items.
public enum Evaluator {
    public struct Options: Sendable {
        public var k = 10
        public var candidates = 500
        public var mmr = MMROptions()
        public var rules = BusinessRules()
        /// Leave out items released after the request time (pipeline only).
        public var releasedOnly = false
        /// Evaluate at most this many users (the first ones by row), all when nil.
        public var maxUsers: Int?

        public init() {}
    }

    /// The metrics of one method, averaged over the evaluated users.
    public struct Summary: Sendable, Equatable {
        public var users = 0
        public var recall = 0.0
        public var ndcg = 0.0
        public var map = 0.0
        /// Mean pairwise `1 - cosine` within a list, averaged over lists of two or more.
        public var diversity = 0.0
        /// Distinct items recommended over all users / items in the catalogue.
        public var coverage = 0.0
        /// Per-request latency, milliseconds (whole request).
        public var latencyP50 = 0.0
        public var latencyP90 = 0.0
        public var latencyP99 = 0.0
        /// Pipeline only: features, scoring, rules, MMR (after retrieval), milliseconds.
        public var rankingP50 = 0.0
        public var rankingP99 = 0.0

        public init() {}
    }

    public struct Report: Sendable, Equatable {
        public var k: Int
        public var pipeline: Summary
        public var retrieval: Summary
        /// Test users left out: unknown to the store or without test items.
        public var skippedUsers: Int
    }

    /// Accumulates one method's lists.
    struct Tally {
        var recall = 0.0, ndcg = 0.0, map = 0.0, diversity = 0.0
        var lists = 0, diverseLists = 0
        var seen = Set<UInt32>()
        var latency: [Double] = []
        var ranking: [Double] = []

        mutating func add(_ ranked: [UInt32], relevant: Set<UInt32>, k: Int, reader: StoreReader, dimension: Int) throws {
            recall += RankingMetrics.recall(ranked, relevant: relevant, k: k)
            ndcg += RankingMetrics.ndcg(ranked, relevant: relevant, k: k)
            map += RankingMetrics.averagePrecision(ranked, relevant: relevant, k: k)
            lists += 1
            var vectors: [Float] = []
            for row in ranked.prefix(k) {
                seen.insert(row)
                if let v = try reader.vector(ofRow: row, .item) { vectors += v }
            }
            if let ild = RankingMetrics.intraListDiversity(vectors, dimension: dimension) {
                diversity += ild
                diverseLists += 1
            }
        }

        func summary(items: Int) -> Summary {
            var s = Summary()
            s.users = lists
            let n = Double(max(lists, 1))
            s.recall = recall / n
            s.ndcg = ndcg / n
            s.map = map / n
            s.diversity = diverseLists > 0 ? diversity / Double(diverseLists) : 0
            s.coverage = items > 0 ? Double(seen.count) / Double(items) : 0
            s.latencyP50 = RankingMetrics.percentile(latency, 50)
            s.latencyP90 = RankingMetrics.percentile(latency, 90)
            s.latencyP99 = RankingMetrics.percentile(latency, 99)
            s.rankingP50 = RankingMetrics.percentile(ranking, 50)
            s.rankingP99 = RankingMetrics.percentile(ranking, 99)
            return s
        }
    }

    public static func run(_ reader: StoreReader, recommender: Recommender, test: [Interaction],
                           options: Options = Options()) throws -> Report {
        var byUser: [UInt32: [Interaction]] = [:]
        for e in test { byUser[e.user, default: []].append(e) }
        var users = byUser.keys.sorted()
        if let limit = options.maxUsers { users = Array(users.prefix(limit)) }
        let ranker = recommender.makeRanker()
        let exact = FlatSearchIndex(meta: try RankingError.wrap { try reader.meta() }).makeRetriever()
        let d = recommender.catalog.dimension
        var pipeline = Tally(), retrieval = Tally()
        var skipped = 0
        for user in users {
            let events = byUser[user]!
            let relevant = Set(events.map(\.item))
            guard !relevant.isEmpty, Int(user) < recommender.catalog.userCount else { skipped += 1; continue }
            let id = try RankingError.wrap { try reader.externalID(ofRow: user, .user) }
            let first = events.map(\.timestamp).min()!

            var request = RankRequest(target: .user(id), k: options.k, candidates: options.candidates)
            request.context = RequestContext(time: first)
            request.mmr = options.mmr
            request.rules = options.rules
            request.filters.releasedOnly = options.releasedOnly
            let result = try ranker.rank(reader, request)
            pipeline.latency.append(Double(result.timings.total) / 1e6)
            pipeline.ranking.append(Double(result.timings.ranking) / 1e6)
            try RankingError.wrap {
                try pipeline.add(result.items.map(\.row), relevant: relevant, k: options.k, reader: reader, dimension: d)
            }

            let clock = DispatchTime.now().uptimeNanoseconds
            let ranked: [UInt32] = try RankingError.wrap {
                guard let v = try reader.vector(ofRow: user, .user) else { return [] }
                let seen = try reader.withHistory(ofUser: user) { $0.items }
                return try exact.search(reader, query: v, parameters: SearchParameters(k: options.k),
                                        filter: seen.isEmpty ? nil : .excluding(seen)).map(\.id)
            }
            retrieval.latency.append(Double(DispatchTime.now().uptimeNanoseconds - clock) / 1e6)
            try RankingError.wrap {
                try retrieval.add(ranked, relevant: relevant, k: options.k, reader: reader, dimension: d)
            }
        }
        let items = recommender.catalog.itemCount
        return Report(k: options.k, pipeline: pipeline.summary(items: items), retrieval: retrieval.summary(items: items),
                      skippedUsers: skipped)
    }
}
