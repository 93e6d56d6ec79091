import Foundation
import Store
import VectorIndex
import VectorMath

/// One logged interaction, in store rows.
public struct Interaction: Sendable, Hashable {
    public var user: UInt32
    public var item: UInt32
    /// Seconds since 1970.
    public var timestamp: Int64

    public init(user: UInt32, item: UInt32, timestamp: Int64) {
        self.user = user
        self.item = item
        self.timestamp = timestamp
    }
}

/// Fits a ranking model from interactions, the way the pipeline ranks: for each interaction,
/// the user's ANN candidates at its time (the `candidates` nearest items not in the stored
/// history before it) form the pool; an interaction whose item is in the pool is a positive,
/// and negatives are drawn at random from the same pool (items the user never interacted
/// with, released by the interaction's time when the catalogue knows release times). An
/// interaction outside the pool could not be ranked and is left out (training on it teaches
/// the model to prefer items unlike the user's embedding). Features are computed as the
/// pipeline would have at the interaction's time (history strictly before it).
/// Interactions at or after the time quantile `1 - heldOutFraction` form the held-out
/// split. The model is logistic regression with L2 over every feature of
/// the standard layout that varies in the training data, plus the declared crosses.
public enum RankerTrainer {
    public struct Options: Sendable {
        public var negativesPerPositive = 4
        public var candidates = 500
        public var l2 = 1.0
        public var heldOutFraction = 0.2
        public var seed: UInt64 = 1
        /// Train on at most this many users (a seeded sample), all when nil.
        public var maxUsers: Int?
        /// Declared crosses `a x b` added to the model.
        public var crosses: [(String, String)] = []
        /// 0: each interaction is predicted from the state just before it (next-item
        /// prediction). n > 0: from the state before one of the n interactions preceding it
        /// (uniformly), as when one request must serve the user's next several choices.
        public var horizon = 0
        /// Features of the standard layout to leave out.
        public var excluded: Set<String> = []
        /// What is fitted (see `Objective`).
        public var objective = Objective.softmax

        public init() {}
    }

    /// The loss the weights minimise.
    public enum Objective: String, Sendable, CaseIterable {
        /// Conditional logit over each interaction's chosen item and its sampled alternatives
        /// (`ConditionalLogit`): fits the ordering of a request's candidates. Output `choice`.
        case softmax
        /// Binary logistic regression, every example on its own (`LogisticRegression`):
        /// fits absolute probabilities, per-request features included. Logistic output.
        case logistic
    }

    public struct Report: Sendable {
        public var model: RankingModel
        public var cutoff: Int64
        public var users: Int
        public var skippedUsers: Int
        /// Interactions of the trained users, and how many of them had their item among the
        /// user's candidates at the time (only those become examples).
        public var interactions = 0
        public var retrievable = 0
        public var trainExamples: Int
        public var heldOutExamples: Int
        public var trainLogLoss: Double
        public var heldOutLogLoss: Double
        /// Held-out choice AUC (`RankingMetrics.choiceAUC`): how often the chosen item
        /// outscores an alternative that was offered with it.
        public var heldOutAUC: Double
        /// Held-out choice AUC of single raw features (`item.popularity`, `cross.embedding_score`).
        public var baselineAUC: [(name: String, auc: Double)]
    }

    /// A feature-major block of examples.
    struct Examples {
        var x: [[Float]]
        var labels: [Bool] = []
        init(features: Int) { x = [[Float]](repeating: [], count: features) }
    }

    public static func train(_ reader: StoreReader, recommender: Recommender, interactions: [Interaction],
                             options: Options = Options()) throws -> Report {
        guard !interactions.isEmpty else { throw RankingError.invalidInput(reason: "no interactions to train on") }
        guard options.negativesPerPositive >= 1 else {
            throw RankingError.invalidRequest(field: "negativesPerPositive", reason: "\(options.negativesPerPositive): expected at least 1")
        }
        guard options.heldOutFraction > 0 && options.heldOutFraction < 1 else {
            throw RankingError.invalidRequest(field: "heldOutFraction", reason: "\(options.heldOutFraction): expected in (0, 1)")
        }
        let times = interactions.map(\.timestamp).sorted()
        let cutoff = times[min(times.count - 1, Int(Double(times.count) * (1 - options.heldOutFraction)))]

        var byUser: [UInt32: [Interaction]] = [:]
        for e in interactions { byUser[e.user, default: []].append(e) }
        var users = byUser.keys.sorted()
        var rng = SplitMix(seed: options.seed)
        if let limit = options.maxUsers, limit < users.count {
            for i in stride(from: users.count - 1, to: 0, by: -1) { users.swapAt(i, rng.below(i + 1)) }
            users = Array(users.prefix(limit)).sorted()
        }

        let layout = recommender.scorer.layout
        let ranker = recommender.makeRanker()
        var train = Examples(features: layout.count)
        var heldOut = Examples(features: layout.count)
        var skipped = 0
        let retriever = recommender.index.makeRetriever()
        let released = recommender.catalog.released

        // Candidate lists in groups: one batched search per group (no filter, long enough that
        // `candidates` remain after any history is left out).
        let group = 256
        var start = 0
        var positives = 0, retrievable = 0
        var pool: [UInt32] = []
        while start < users.count {
            let members = Array(users[start ..< min(users.count, start + group)])
            start += group
            var queries: [Float] = []
            var withVector: [UInt32] = []
            var everything: [UInt32: Set<UInt32>] = [:]
            var stored: [UInt32: [UInt32: Int64]] = [:]
            for user in members {
                guard let v = try RankingError.wrap({ try reader.vector(ofRow: user, .user) }) else { skipped += 1; continue }
                queries += v
                withVector.append(user)
                var items = Set(byUser[user]!.map(\.item))
                var firstSeen: [UInt32: Int64] = [:]
                try RankingError.wrap {
                    try reader.withHistory(ofUser: user) { view in
                        for e in view {
                            items.insert(e.item)
                            firstSeen[e.item] = min(firstSeen[e.item] ?? .max, e.timestamp)
                        }
                    }
                }
                everything[user] = items
                stored[user] = firstSeen
            }
            guard !withVector.isEmpty else { continue }
            let extra = withVector.map { stored[$0]!.count }.max() ?? 0
            let k = min(options.candidates + extra, recommender.catalog.itemCount, FlatIndex.maxK)
            let lists = try RankingError.wrap {
                try queries.withUnsafeBufferPointer {
                    try retriever.searchBatch(reader, queries: $0, parameters: SearchParameters(k: k), filter: nil)
                }
            }
            for (user, found) in zip(withVector, lists) {
                let never = everything[user]!, firstSeen = stored[user]!
                let events = byUser[user]!.sorted(by: { ($0.timestamp, $0.item) < ($1.timestamp, $1.item) })
                for (index, event) in events.enumerated() {
                    // The request this interaction answers: at its own time, or (with a horizon)
                    // at the time of one of the `horizon` interactions before it.
                    let back = options.horizon > 0 ? rng.below(options.horizon + 1) : 0
                    let asOf = events[max(0, index - back)].timestamp
                    // The pool serving would have ranked then: the first `candidates` items not
                    // in the stored history before it.
                    pool.removeAll(keepingCapacity: true)
                    var hit = false
                    for s in found where pool.count < options.candidates {
                        if let seen = firstSeen[s.id], seen < asOf { continue }
                        if s.id == event.item { hit = true }
                        pool.append(s.id)
                    }
                    positives += 1
                    guard hit else { continue }
                    retrievable += 1
                    var items = [event.item]
                    var draws = 0
                    while items.count <= options.negativesPerPositive && draws < 1000 {
                        let pick = pool[rng.below(pool.count)]
                        draws += 1
                        // Items the user ever chose are not negatives; nor are items released after
                        // the event (they could not have been chosen).
                        if never.contains(pick) { continue }
                        if draws < 64, let released, released[Int(pick)] != HistoryEntry.unknownTime,
                           released[Int(pick)] > asOf { continue }
                        if !items.contains(pick) { items.append(pick) }
                    }
                    guard items.count > options.negativesPerPositive else { continue }
                    let context = RequestContext(time: asOf, historyBefore: asOf)
                    try ranker.withFeatures(reader, userRow: user, items: items, context: context) { matrix in
                        if event.timestamp >= cutoff { append(matrix, to: &heldOut) } else { append(matrix, to: &train) }
                    }
                }
            }
        }
        guard !train.labels.isEmpty, !heldOut.labels.isEmpty else {
            throw RankingError.invalidInput(reason: "the time split left \(train.labels.count) training and \(heldOut.labels.count) held-out examples; need both")
        }
        var report = try fit(train: train, heldOut: heldOut, layout: layout, options: options, cutoff: cutoff,
                             users: users.count - skipped, skipped: skipped, catalog: recommender.catalog)
        report.interactions = positives
        report.retrievable = retrievable
        report.model.metadata["retrievable"] = "\(retrievable) of \(positives) interactions had their item among the \(options.candidates) candidates"
        return report
    }

    /// Mean `-log P(chosen | group)` under the scores (groups of `groupSize`, chosen first).
    static func choiceLoss(_ scores: [Double], groupSize g: Int) -> Double {
        let groups = scores.count / g
        guard groups > 0 else { return 0 }
        var loss = 0.0
        for q in 0 ..< groups {
            let group = scores[q * g ..< (q + 1) * g]
            let top = group.max()!
            loss += top + log(group.reduce(0) { $0 + exp($1 - top) }) - group.first!
        }
        return loss / Double(groups)
    }

    /// The first column is the positive, the rest negatives.
    static func append(_ matrix: FeatureMatrix, to examples: inout Examples) {
        for f in 0 ..< matrix.featureCount {
            for c in 0 ..< matrix.count { examples.x[f].append(matrix[feature: f, candidate: c]) }
        }
        for c in 0 ..< matrix.count { examples.labels.append(c == 0) }
    }

    static func fit(train: Examples, heldOut: Examples, layout: FeatureLayout, options: Options, cutoff: Int64,
                    users: Int, skipped: Int, catalog: ItemCatalog) throws -> Report {
        // Normalisation from the training split; constant or absent features are left out.
        var kept: [Int] = []
        var means: [Double] = [], scales: [Double] = []
        for f in 0 ..< layout.count where !options.excluded.contains(layout.names[f]) {
            var sum = 0.0, squares = 0.0, count = 0.0
            for v in train.x[f] where !v.isNaN {
                sum += Double(v)
                squares += Double(v) * Double(v)
                count += 1
            }
            guard count > 0 else { continue }
            let mean = sum / count
            let variance = max(0, squares / count - mean * mean)
            guard variance > 1e-12 else { continue }
            kept.append(f)
            means.append(mean)
            scales.append(variance.squareRoot())
        }
        if options.objective == .softmax {
            // A feature constant within every choice (user or context alone) cannot order
            // candidates; it stays only as a factor of a declared cross (its own weight is 0).
            let g = options.negativesPerPositive + 1
            let crossed = Set(options.crosses.flatMap { [$0.0, $0.1] })
            var varying: [Int] = []
            for (t, f) in kept.enumerated() {
                if crossed.contains(layout.names[f]) {
                    varying.append(t)
                    continue
                }
                let values = train.x[f]
                var differs = false
                var start = 0
                while start < values.count && !differs {
                    let first = values[start]
                    for j in start + 1 ..< start + g where !(values[j] == first || (values[j].isNaN && first.isNaN)) {
                        differs = true
                        break
                    }
                    start += g
                }
                if differs { varying.append(t) }
            }
            kept = varying.map { kept[$0] }
            means = varying.map { means[$0] }
            scales = varying.map { scales[$0] }
        }
        var crossTerms: [(Int, Int)] = []
        for (a, b) in options.crosses {
            guard let ia = layout.index(of: a), let ta = kept.firstIndex(of: ia) else {
                throw RankingError.invalidRequest(field: "cross", reason: "'\(a)' is not a varying feature of the standard layout")
            }
            guard let ib = layout.index(of: b), let tb = kept.firstIndex(of: ib) else {
                throw RankingError.invalidRequest(field: "cross", reason: "'\(b)' is not a varying feature of the standard layout")
            }
            crossTerms.append((ta, tb))
        }
        func design(_ e: Examples) -> [Float] {
            let n = e.labels.count
            var x = [Float](repeating: 0, count: (kept.count + crossTerms.count) * n)
            for (t, f) in kept.enumerated() {
                let mean = Float(means[t]), inverse = Float(1 / scales[t])
                for i in 0 ..< n {
                    let v = e.x[f][i]
                    x[t * n + i] = v.isNaN ? 0 : (v - mean) * inverse
                }
            }
            for (j, (a, b)) in crossTerms.enumerated() {
                let row = (kept.count + j) * n
                for i in 0 ..< n { x[row + i] = x[a * n + i] * x[b * n + i] }
            }
            return x
        }
        let p = kept.count + crossTerms.count
        let g = options.negativesPerPositive + 1
        let trainX = design(train), heldOutX = design(heldOut)
        let weights: [Double], bias: Double
        let heldOutP: [Double], trainLoss: Double, heldOutLoss: Double
        switch options.objective {
        case .logistic:
            let fitted = LogisticRegression.fit(x: trainX, featureCount: p, labels: train.labels, l2: options.l2)
            let trainP = fitted.probabilities(x: trainX, count: train.labels.count)
            heldOutP = fitted.probabilities(x: heldOutX, count: heldOut.labels.count)
            (weights, bias) = (fitted.weights, fitted.bias)
            trainLoss = RankingMetrics.logLoss(probabilities: trainP, labels: train.labels)
            heldOutLoss = RankingMetrics.logLoss(probabilities: heldOutP, labels: heldOut.labels)
        case .softmax:
            let fitted = ConditionalLogit.fit(x: trainX, featureCount: p, groupSize: g, l2: options.l2)
            heldOutP = fitted.scores(x: heldOutX, count: heldOut.labels.count)
            (weights, bias) = (fitted.weights, 0)
            trainLoss = choiceLoss(fitted.scores(x: trainX, count: train.labels.count), groupSize: g)
            heldOutLoss = choiceLoss(heldOutP, groupSize: g)
        }

        var baselines: [(String, Double)] = []
        for name in [BuiltinFeature.itemPopularity.rawValue, BuiltinFeature.embeddingScore.rawValue] {
            if let f = layout.index(of: name) {
                baselines.append((name, RankingMetrics.choiceAUC(scores: heldOut.x[f].map(Double.init), groupSize: g)))
            }
        }
        let auc = RankingMetrics.choiceAUC(scores: heldOutP, groupSize: g)

        let terms = kept.enumerated().map { t, f in
            RankingModel.Term(name: layout.names[f], mean: means[t], scale: scales[t], weight: weights[t])
        }
        let crosses = crossTerms.enumerated().map { j, pair in
            RankingModel.Cross(a: layout.names[kept[pair.0]], b: layout.names[kept[pair.1]], weight: weights[kept.count + j])
        }
        let metadata = [
            "trained_by": "annctl train-ranker (\(options.objective == .softmax ? "conditional logit" : "logistic regression"), L2 \(options.l2)"
                + (options.horizon > 0 ? ", horizon \(options.horizon)" : "") + ")",
            "examples": "\(train.labels.count) train, \(heldOut.labels.count) held out (\(options.negativesPerPositive) negatives per positive from \(options.candidates) ANN candidates)",
            "held_out_auc": String(format: "%.4f", auc),
            options.objective == .softmax ? "held_out_choice_log_loss" : "held_out_log_loss": String(format: "%.4f", heldOutLoss),
            "split": "held out: interactions at or after \(cutoff)",
        ]
        let model = RankingModel(output: options.objective == .softmax ? .choice : .logistic, bias: bias, features: terms,
                                 crosses: crosses, metadata: metadata)
        return Report(model: model, cutoff: cutoff, users: users, skippedUsers: skipped, trainExamples: train.labels.count,
                      heldOutExamples: heldOut.labels.count, trainLogLoss: trainLoss, heldOutLogLoss: heldOutLoss,
                      heldOutAUC: auc, baselineAUC: baselines)
    }
}

/// SplitMix64: a small seeded generator for sampling negatives (reproducible across runs).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in `0 ..< n` (n > 0).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
