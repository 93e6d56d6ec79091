import ArgumentParser
import Foundation
import Ingest
import Ranking
import Store
import VectorMath

struct TrainRanker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-ranker",
        abstract: "Fit a ranking model (logistic regression, L2) from an interactions file.",
        discussion: """
        Each interaction (TSV user item timestamp, as histories.tsv) whose item was among the user's \
        ANN candidates at the time (history before it left out) is a positive; negatives are sampled \
        from the same candidates among items the user never interacted with. Features are computed \
        as the pipeline would have at the interaction's time. Interactions at or after \
        the --held-out time quantile are held out: the command reports log-loss and AUC there, next \
        to the AUC of popularity alone and of the embedding score alone. Writes the model JSON \
        (docs/RANKING.md).
        """)

    @OptionGroup var store: StoreOptions
    @Option(help: "Interactions file: user item timestamp (TSV).") var interactions: String
    @Option(help: "Model file to write.") var out: String
    @Option(help: "Negatives sampled per positive.") var negatives = 4
    @Option(help: "ANN candidates per user that negatives are drawn from.") var candidates = 500
    @Option(help: "L2 regularisation strength.") var l2 = 1.0
    @Option(name: .customLong("held-out"), help: "Share of the interactions (the latest by time) held out.") var heldOut = 0.2
    @Option(name: .customLong("max-users"), help: "Train on a seeded sample of at most this many users.") var maxUsers: Int?
    @Option(name: .customLong("cross"), help: "A declared cross feature a*b (repeatable), e.g. cross.embedding_score*item.popularity.")
    var crosses: [String] = []
    @Option(name: .customLong("exclude-feature"), help: "Leave this feature out of the model (repeatable).") var excluded: [String] = []
    @Option(help: "Predict each interaction from the state before one of the N interactions preceding it (0: just before it).") var horizon = 0
    @Option(help: "Seed for the user sample and the negatives.") var seed: UInt64 = 1
    @Option(help: "softmax (conditional logit over each choice and its sampled alternatives; linear scores) or logistic (binary, each example on its own).")
    var objective = "softmax"

    func validate() throws {
        guard negatives >= 1 else { throw ValidationError("--negatives \(negatives): expected at least 1") }
        guard candidates > negatives else { throw ValidationError("--candidates \(candidates): expected more than --negatives (\(negatives))") }
        guard horizon >= 0 else { throw ValidationError("--horizon \(horizon): expected at least 0") }
        guard l2 >= 0 else { throw ValidationError("--l2 \(l2): expected at least 0") }
        guard heldOut > 0 && heldOut < 1 else { throw ValidationError("--held-out \(heldOut): expected in (0, 1)") }
        guard RankerTrainer.Objective(rawValue: objective) != nil else { throw ValidationError("--objective '\(objective)': expected softmax or logistic") }
        for c in crosses where c.split(separator: "*").count != 2 { throw ValidationError("--cross '\(c)': expected a*b") }
    }

    func run() throws {
        let clock = Date()
        let embeddingStore = try EmbeddingStore(path: store.db, readOnly: true)
        let recommender = try Recommender(store: embeddingStore)
        var options = RankerTrainer.Options()
        options.negativesPerPositive = negatives
        options.candidates = candidates
        options.l2 = l2
        options.heldOutFraction = heldOut
        options.maxUsers = maxUsers
        options.seed = seed
        options.horizon = horizon
        options.objective = RankerTrainer.Objective(rawValue: objective)!
        options.crosses = crosses.map { c in
            let parts = c.split(separator: "*").map { String($0) }
            return (parts[0], parts[1])
        }
        options.excluded = Set(excluded)
        let report = try embeddingStore.read { reader -> RankerTrainer.Report in
            let (events, skipped) = try Self.readInteractions(interactions, reader: reader)
            print("\(events.count) interactions from \(interactions)" + (skipped > 0 ? " (\(skipped) with unknown ids skipped)" : ""))
            return try RankerTrainer.train(reader, recommender: recommender, interactions: events, options: options)
        }
        var model = report.model
        model.metadata["source"] = "\(interactions) on \(store.db)"
        try model.write(to: out)
        print("users \(report.users) (\(report.skippedUsers) skipped: no embedding or too few candidates); split at \(report.cutoff)")
        print("interactions with their item among the \(candidates) candidates at the time: \(report.retrievable) of \(report.interactions)")
        print("examples: \(report.trainExamples) train, \(report.heldOutExamples) held out (1 positive : \(negatives) negatives)")
        print(String(format: "%@: train %.4f, held out %.4f", options.objective == .softmax ? "choice log-loss (-log P(chosen | its group))" : "log-loss",
                     report.trainLogLoss, report.heldOutLogLoss))
        print(String(format: "held-out choice AUC (chosen item above an alternative offered with it): model %.4f", report.heldOutAUC)
              + report.baselineAUC.map { String(format: ", %@ alone %.4f", $0.name, $0.auc) }.joined())
        print("weights (per standard deviation):")
        for term in model.features.sorted(by: { abs($0.weight) > abs($1.weight) }) {
            print("  " + Format.pad(term.name, 34) + String(format: "%+.4f", term.weight))
        }
        for cross in model.crosses {
            print("  " + Format.pad("\(cross.a) x \(cross.b)", 34) + String(format: " %+.4f", cross.weight))
        }
        print("model -> \(out) in \(Format.seconds(Date().timeIntervalSince(clock)))")
    }

    /// Reads `user item timestamp` lines into store rows; lines naming ids the store does not
    /// know are counted and skipped; a line without a timestamp is an error.
    static func readInteractions(_ path: String, reader: StoreReader) throws -> ([Interaction], skipped: Int) {
        let file = try HistoryReader(path: path)
        var records: [HistoryRecord] = []
        var out: [Interaction] = []
        var skipped = 0
        var users: [ExternalID: UInt32] = [:]
        while try file.next(into: &records, maxRows: 65_536) {
            for r in records {
                guard let t = r.timestamp else {
                    throw ValidationError("\(path) \(r.location): interaction without a timestamp (the time split needs one)")
                }
                var user = users[r.user]
                if user == nil, let row = try reader.row(of: r.user, .user) {
                    users[r.user] = row
                    user = row
                }
                guard let user, let item = try reader.row(of: r.item, .item) else {
                    skipped += 1
                    continue
                }
                out.append(Interaction(user: user, item: item, timestamp: t))
            }
        }
        return (out, skipped)
    }
}
