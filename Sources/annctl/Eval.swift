import ArgumentParser
import Foundation
import Ranking
import Store
import VectorMath

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Offline evaluation of the ranking pipeline against pure exact retrieval.",
        discussion: """
        For every user of the test file (TSV user item timestamp, as test_interactions.tsv): the full \
        pipeline with the user's stored history left out and the request time set to the user's first \
        test interaction, and exact retrieval by the user's embedding (history left out). Reports \
        recall@K, NDCG@K, MAP@K, intra-list diversity (mean pairwise 1 - cosine), catalogue coverage \
        and latency percentiles (BLAS on one thread).
        """)

    @OptionGroup var store: StoreOptions
    @Option(help: "Test interactions: user item timestamp (TSV).") var interactions: String
    @Option(help: "List length K.") var k = 10
    @Option(help: "Ranking model file (default: ANN score only).") var model: String?
    @Option(name: .customLong("mmr-lambda"), help: "MMR trade-off 0...1 (1: relevance only).") var mmrLambda: Float = 0.7
    @Option(help: "MMR similarity: cosine or jaccard.") var similarity = "cosine"
    @Option(help: "Candidates retrieved before ranking.") var candidates = 500
    @Option(name: .customLong("pool-factor"), help: "MMR picks from the pool-factor x K best-scored candidates (0: from every candidate).") var poolFactor = 0
    @Option(name: .customLong("mmr-penalty"), help: "MMR penalty: max (similarity to the nearest pick) or mean (mean similarity to the picks).")
    var mmrPenalty = "mean"
    @Option(name: .customLong("mmr-relevance"), help: "MMR relevance: model (by the model's output) or min-max.")
    var mmrRelevance = "model"
    @Flag(name: .customLong("rescale-similarity"), help: "MMR on similarities rescaled to [0, 1] over the pool's pairs (default: raw).") var rescaleSimilarity = false
    @Option(name: .customLong("category-cap"), help: "At most this many results per category.") var categoryCap: Int?
    @Option(name: .customLong("min-score"), help: "Drop results scoring below this.") var minScore: Float?
    @Flag(name: .customLong("released-only"), help: "Pipeline: leave out items released after the request time.") var releasedOnly = false
    @Option(name: .customLong("max-users"), help: "Evaluate the first N test users only.") var maxUsers: Int?
    @Flag(help: "One JSON object on stdout.") var json = false

    func validate() throws {
        guard (1 ... RankRequest.maxK).contains(k) else { throw ValidationError("--k \(k): expected 1...\(RankRequest.maxK)") }
        guard candidates >= k else { throw ValidationError("--candidates \(candidates): expected at least --k (\(k))") }
        guard MMROptions.Penalty(rawValue: mmrPenalty) != nil else { throw ValidationError("--mmr-penalty '\(mmrPenalty)': expected max or mean") }
        guard MMROptions.Relevance(rawValue: mmrRelevance) != nil else { throw ValidationError("--mmr-relevance '\(mmrRelevance)': expected model or min-max") }
        guard poolFactor >= 0 else { throw ValidationError("--pool-factor \(poolFactor): expected 0 (every candidate) or more") }
        guard (0 ... 1).contains(mmrLambda) else { throw ValidationError("--mmr-lambda \(mmrLambda): expected 0...1") }
        guard MMROptions.Similarity(rawValue: similarity) != nil else { throw ValidationError("--similarity '\(similarity)': expected cosine or jaccard") }
    }

    func run() throws {
        BLAS.setThreads(1)
        let clock = Date()
        let embeddingStore = try EmbeddingStore(path: store.db, readOnly: true)
        let loaded = try model.map { try RankingModel.load(path: $0) } ?? .default
        let recommender = try Recommender(store: embeddingStore, model: loaded, modelPath: model ?? "(default model)")
        var options = Evaluator.Options()
        options.k = k
        options.candidates = candidates
        options.mmr = MMROptions(lambda: mmrLambda, similarity: MMROptions.Similarity(rawValue: similarity)!, poolFactor: poolFactor,
                                 normalizeSimilarity: rescaleSimilarity, penalty: MMROptions.Penalty(rawValue: mmrPenalty) ?? .mean,
                                 relevance: MMROptions.Relevance(rawValue: mmrRelevance) ?? .model)
        options.rules = BusinessRules(minScore: minScore, categoryCap: categoryCap)
        options.releasedOnly = releasedOnly
        options.maxUsers = maxUsers
        let (report, events, skipped) = try embeddingStore.read { reader -> (Evaluator.Report, Int, Int) in
            let (test, skipped) = try TrainRanker.readInteractions(interactions, reader: reader)
            return (try Evaluator.run(reader, recommender: recommender, test: test, options: options), test.count, skipped)
        }
        if json {
            func object(_ s: Evaluator.Summary) -> String {
                let fields: [(String, Double)] = [
                    ("recall", s.recall), ("ndcg", s.ndcg), ("map", s.map), ("diversity", s.diversity), ("coverage", s.coverage),
                    ("latency_p50_ms", s.latencyP50), ("latency_p90_ms", s.latencyP90), ("latency_p99_ms", s.latencyP99),
                    ("ranking_p50_ms", s.rankingP50), ("ranking_p99_ms", s.rankingP99),
                ]
                return "{\"users\":\(s.users)," + fields.map { "\"\($0.0)\":\(String(format: "%.6g", $0.1))" }.joined(separator: ",") + "}"
            }
            print("{\"k\":\(k),\"model\":\(Format.jsonString(model ?? "default")),\"mmr_lambda\":\(mmrLambda),\"candidates\":\(candidates),"
                  + "\"skipped_users\":\(report.skippedUsers),\"pipeline\":\(object(report.pipeline)),\"retrieval\":\(object(report.retrieval))}")
            return
        }
        print("\(events) test interactions (\(skipped) with unknown ids skipped), \(report.pipeline.users) users"
              + " (\(report.skippedUsers) skipped); model \(model ?? "default (ANN score only)"), lambda \(mmrLambda), \(candidates) candidates")
        print(Format.pad("method", 22) + "  recall@\(k)  NDCG@\(k)   MAP@\(k)  diversity  coverage   p50 ms   p90 ms   p99 ms")
        for (name, s) in [("pipeline", report.pipeline), ("exact retrieval", report.retrieval)] {
            print(Format.pad(name, 22) + String(format: "  %9.4f  %7.4f  %7.4f  %9.4f  %8.4f  %7.3f  %7.3f  %7.3f",
                                                s.recall, s.ndcg, s.map, s.diversity, s.coverage, s.latencyP50, s.latencyP90, s.latencyP99))
        }
        print(String(format: "pipeline after retrieval (features, model, rules, MMR): p50 %.3f ms, p99 %.3f ms",
                     report.pipeline.rankingP50, report.pipeline.rankingP99))
        print("done in \(Format.seconds(Date().timeIntervalSince(clock)))")
    }
}
