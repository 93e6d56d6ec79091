import ArgumentParser
import Foundation
import Ranking
import Server
import Store
import VectorIndex
import VectorMath
import Wire

/// The ranking options of `annctl query`: any of them turns `--user` / `--item` / `--vector`
/// into the full pipeline (retrieve, features, model, rules, MMR).
struct RankingOptions: ParsableArguments {
    @Option(help: "Ranking model file (JSON, docs/RANKING.md); without one, candidates keep their ANN order.")
    var model: String?
    @Option(name: .customLong("mmr-lambda"), help: "MMR trade-off 0...1 (1: relevance only; default 0.7 with --model, --candidates or --similarity, else 1, so --explain, filters and session options alone keep the order).")
    var mmrLambda: Float?
    @Option(help: "Candidates retrieved before ranking (default 500).")
    var candidates: Int?
    @Flag(help: "Print why each item was recommended.")
    var explain = false
    @Option(name: .customLong("category"), help: "Only items in this category (repeatable).")
    var categories: [String] = []
    @Option(name: .customLong("exclude-category"), help: "Never items in this category (repeatable).")
    var excludeCategories: [String] = []
    @Option(name: .customLong("exclude-item"), help: "Never this item (repeatable).")
    var excludeItems: [String] = []
    @Option(name: .customLong("session-item"), help: "An item of the current session: blended into the query vector and left out (repeatable).")
    var sessionItems: [String] = []
    @Option(name: .customLong("session-weight"), help: "Weight of the session items in the query vector (0...1, default 0.5).")
    var sessionWeight: Float?
    @Option(name: .customLong("context"), help: "A context value key=value (e.g. device=mobile), for context.<key>=<value> features (repeatable).")
    var context: [String] = []
    @Option(help: "Request time: epoch seconds or ISO 8601 (default: now).")
    var at: String?
    @Option(name: .customLong("min-score"), help: "Drop results scoring below this.")
    var minScore: Float?
    @Option(name: .customLong("category-cap"), help: "At most this many results per category.")
    var categoryCap: Int?
    @Option(help: "MMR similarity: cosine (embeddings) or jaccard (categories).")
    var similarity: String?

    /// MMR's lambda when `--mmr-lambda` is not given: 0.7 (the pipeline's default) when ranking
    /// is asked for, 1 (no MMR) when only explanations, filters or context are.
    var defaultLambda: Float { model != nil || candidates != nil || similarity != nil ? 0.7 : 1 }

    var isRequested: Bool {
        model != nil || mmrLambda != nil || candidates != nil || explain || !categories.isEmpty || !excludeCategories.isEmpty
            || !excludeItems.isEmpty || !sessionItems.isEmpty || sessionWeight != nil || !context.isEmpty || at != nil
            || minScore != nil || categoryCap != nil || similarity != nil
    }

    func validate() throws {
        if let l = mmrLambda, !(0 ... 1).contains(l) { throw ValidationError("--mmr-lambda \(l): expected 0...1") }
        if let c = candidates, c < 1 { throw ValidationError("--candidates \(c): expected at least 1") }
        if let s = similarity, MMROptions.Similarity(rawValue: s) == nil { throw ValidationError("--similarity '\(s)': expected cosine or jaccard") }
        if let w = sessionWeight, !(0 ... 1).contains(w) { throw ValidationError("--session-weight \(w): expected 0...1") }
        if let c = categoryCap, c < 1 { throw ValidationError("--category-cap \(c): expected at least 1") }
        if let at { _ = try Self.parseTime(at) }
        for pair in context where !pair.contains("=") { throw ValidationError("--context '\(pair)': expected key=value") }
    }

    /// Loads the model file (or the default model) and builds the shared recommender.
    func makeRecommender(_ store: EmbeddingStore, indexKind: IndexKind?) throws -> Recommender {
        let loaded = try model.map { try RankingModel.load(path: $0) } ?? .default
        return try Recommender(store: store, model: loaded, modelPath: model ?? "(default model)", indexKind: indexKind)
    }

    /// A request for `target` with every option of the command line applied.
    func request(_ target: RankRequest.Target, k: Int, includeSeen: Bool, ef: Int?, nprobe: Int?) throws -> RankRequest {
        var r = RankRequest(target: target, k: k, candidates: max(candidates ?? 500, k), explain: explain, ef: ef, nprobe: nprobe)
        r.filters = RankFilters(includeCategories: categories, excludeCategories: excludeCategories,
                                excludeItems: try excludeItems.map { try Self.id($0, "--exclude-item") }, excludeSeen: !includeSeen)
        var values: [String: String] = [:]
        for pair in context {
            let parts = pair.split(separator: "=", maxSplits: 1)
            values[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        r.context = RequestContext(time: try at.map(Self.parseTime), values: values,
                                   sessionItems: try sessionItems.map { try Self.id($0, "--session-item") },
                                   sessionWeight: sessionWeight ?? 0.5)
        r.mmr = MMROptions(lambda: mmrLambda ?? defaultLambda, similarity: similarity.flatMap(MMROptions.Similarity.init) ?? .cosine)
        r.rules = BusinessRules(minScore: minScore, categoryCap: categoryCap)
        return r
    }

    static func id(_ text: String, _ option: String) throws -> ExternalID {
        switch ExternalID.parse(text) {
        case .success(let id): return id
        case .failure(let why): throw ValidationError("\(option) '\(text)': \(why)")
        }
    }

    static func parseTime(_ text: String) throws -> Int64 {
        if let seconds = Int64(text) { return seconds }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970) }
        formatter.formatOptions = [.withFullDate]
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970) }
        throw ValidationError("--at '\(text)': expected epoch seconds or an ISO 8601 date (2025-03-01 or 2025-03-01T12:00:00Z)")
    }
}

extension Query {
    /// `annctl query` with ranking options: each --user, --item and --vector target through the
    /// full pipeline, printed with model score, ANN score and (with --explain) the reason.
    func runRanked() throws {
        guard queries == nil else { throw ValidationError("--queries answers raw vectors in batch; ranking options need --user, --item or --vector") }
        let embeddingStore = try EmbeddingStore(path: db!, readOnly: true)
        guard let meta = try embeddingStore.meta() else { throw StoreError.notInitialized(path: db!) }
        let recommender = try ranking.makeRecommender(embeddingStore, indexKind: exact ? .flat : index.flatMap(IndexKind.init(rawValue:)))
        let ranker = recommender.makeRanker()
        // Targets in command-line order, all ranked before the first line is printed.
        let targets = try labelledTargets(targetOrder, dimension: meta.dimension, vector: RankRequest.Target.vector,
                                          item: RankRequest.Target.item, user: RankRequest.Target.user)
        let columns = show?.split(separator: ",").map(String.init) ?? []
        try embeddingStore.read { reader in
            // Session items shape the query: an unknown one is an error, as on the server.
            for text in ranking.sessionItems where try reader.row(of: try RankingOptions.id(text, "--session-item"), .item) == nil {
                throw ValidationError("--session-item '\(text)': unknown item id")
            }
            // A user id the store does not know is an error, as without ranking options and on
            // the server (the ranking library would answer it as a cold start).
            for (_, target) in targets {
                if case .user(let id) = target, try reader.row(of: id, .user) == nil { throw StoreError.unknownID(.user, id) }
            }
            let results = try targets.map { _, target in
                try ranker.rank(reader, try ranking.request(target, k: k, includeSeen: includeSeen, ef: ef, nprobe: nprobe))
            }
            if !json {
                let scorer = recommender.scorer
                print("index: \(recommender.index.summary); model: \(ranking.model ?? "default (ANN score only)")"
                      + " (\(scorer.model.features.count) features, \(scorer.model.crosses.count) crosses)")
            }
            for (number, ((label, _), result)) in zip(targets, results).enumerated() {
                if json {
                    printJSON(result, number: number, metric: meta.metric)
                    continue
                }
                let t = result.timings
                print("\(label): \(result.items.count) results in \(Format.milliseconds(Double(t.total) / 1e9))"
                      + " (retrieve \(Format.milliseconds(Double(t.retrieve) / 1e9)), rank \(Format.milliseconds(Double(t.ranking) / 1e9));"
                      + " \(result.candidateCount) candidates, \(result.excludedCount) items left out, query: \(result.querySource.rawValue))")
                for (rank, item) in result.items.enumerated() {
                    var line = String(format: "  %3d  ", rank + 1) + Format.pad(item.id.description, 16) + String(format: " %10.6f", item.score)
                    line += item.annScore.map { String(format: "  ann %9.5f", meta.metric.displayScore($0)) } ?? "  ann         -"
                    if !columns.isEmpty {
                        let features = try reader.features(row: item.row, .item)
                        for name in columns { line += "  \(name)=" + (features[name].map(Format.feature) ?? "-") }
                    }
                    if let e = item.explanation { line += "  " + e.summary }
                    print(line)
                }
            }
        }
    }

    private func printJSON(_ result: RankResult, number: Int, metric: Metric) {
        let ids = result.items.map { Format.json($0.id) }.joined(separator: ",")
        let scores = result.items.map { Format.json($0.score) }.joined(separator: ",")
        let ann = result.items.map { $0.annScore.map { Format.json(metric.displayScore($0)) } ?? "null" }.joined(separator: ",")
        var line = "{\"query\":\(number),\"ids\":[\(ids)],\"scores\":[\(scores)],\"ann_scores\":[\(ann)]"
        if ranking.explain {
            line += ",\"reasons\":[" + result.items.map { Format.jsonString($0.explanation?.summary ?? "") }.joined(separator: ",") + "]"
        }
        print(line + "}")
    }
}

/// The ranking options as ann.v1 fields, for `annctl query --server` (the server ranks with
/// its own model: `--model` there only checks that it is the same one).
extension RankingOptions {
    struct WireFields {
        var candidates: UInt32
        var filter: Ann_V1_Filter
        var context: [String: String]
        var mmr: Ann_V1_Mmr
        var rules: Ann_V1_Rules
        var session: Ann_V1_Session
    }

    /// The fields that make a server answer as `runRanked` does in-process.
    func wireFields(k: Int) throws -> WireFields {
        let request = try self.request(.popular, k: k, includeSeen: false, ef: nil, nprobe: nil)
        var filter = Ann_V1_Filter()
        filter.categories = categories
        filter.excludeCategories = excludeCategories
        filter.excludeItems = request.filters.excludeItems.map(IDConversionText.wire)
        var mmr = Ann_V1_Mmr()
        mmr.lambda = request.mmr.lambda
        mmr.similarity = request.mmr.similarity.rawValue
        mmr.poolFactor = UInt32(request.mmr.poolFactor)
        var rules = Ann_V1_Rules()
        if let minScore { rules.minScore = minScore }
        rules.categoryCap = UInt32(categoryCap ?? 0)
        var session = Ann_V1_Session()
        session.items = request.context.sessionItems.map(IDConversionText.wire)
        session.weight = request.context.sessionWeight
        if let time = request.context.time { session.time = time }
        return WireFields(candidates: UInt32(request.candidates), filter: filter, context: request.context.values,
                          mmr: mmr, rules: rules, session: session)
    }

    /// With `--model`: the server must rank with the same model (same fingerprint).
    func checkServerModel(_ serverRanking: String, url: String) throws {
        guard let model else { return }
        let fingerprint = RankingRecommender.fingerprint(try RankingModel.load(path: model))
        guard serverRanking.contains("fingerprint \(fingerprint)") else {
            throw ValidationError("--model \(model) (fingerprint \(fingerprint)) is not the model the server at \(url) ranks with: "
                                  + (serverRanking.isEmpty ? "(the server does not say)" : serverRanking))
        }
    }
}
