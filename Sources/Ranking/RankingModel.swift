import Foundation

/// A scoring model as stored in its JSON file (docs/RANKING.md, format version 1): per feature
/// a normalisation (`mean`, `scale`), a linear `weight` and a `default` for missing values;
/// declared pairwise crosses with their weights; a bias; linear or logistic output.
///
/// `score = bias + sum_i weight_i * z_i + sum_(a,b) weight_ab * z_a * z_b`, with
/// `z = (x - mean) / scale` and `x = default` (or `mean` when no default is given) where the
/// feature is missing; logistic output applies `1 / (1 + exp(-score))`.
public struct RankingModel: Equatable, Sendable {
    /// Value of the `format` field.
    public static let formatName = "annserver.ranking-model"
    /// The format version this build reads and writes.
    public static let formatVersion = 1

    public enum Output: String, Sendable, CaseIterable {
        /// The score as computed, of no stated scale (MMR relevance: min-max over the pool).
        case linear
        /// `1 / (1 + exp(-score))`, a probability (MMR relevance: score over the mean of the list's k best).
        case logistic
        /// The score as computed, a choice logit: `exp(score)` is proportional to the chance
        /// that the user picks the item among the candidates (`annctl train-ranker`'s default,
        /// a conditional logit). MMR relevance: `exp(score - best score)` over its mean among the k best.
        case choice
    }

    /// One linear term.
    public struct Term: Equatable, Sendable {
        public var name: String
        public var mean: Double
        public var scale: Double
        public var weight: Double
        /// Raw value used when the feature is missing; nil means `mean` (a normalised 0).
        public var defaultValue: Double?

        public init(name: String, mean: Double = 0, scale: Double = 1, weight: Double, defaultValue: Double? = nil) {
            self.name = name
            self.mean = mean
            self.scale = scale
            self.weight = weight
            self.defaultValue = defaultValue
        }
    }

    /// A declared pairwise cross of two listed features (their normalised values multiply).
    public struct Cross: Equatable, Sendable {
        public var a: String
        public var b: String
        public var weight: Double

        public init(a: String, b: String, weight: Double) {
            self.a = a
            self.b = b
            self.weight = weight
        }
    }

    public var output: Output
    public var bias: Double
    public var features: [Term]
    public var crosses: [Cross]
    /// Free-form notes (trainer, data, held-out figures); kept on a round trip.
    public var metadata: [String: String]

    public init(output: Output = .linear, bias: Double = 0, features: [Term], crosses: [Cross] = [],
                metadata: [String: String] = [:]) {
        self.output = output
        self.bias = bias
        self.features = features
        self.crosses = crosses
        self.metadata = metadata
    }

    /// The model used without a file: the embedding score alone, so ranking keeps ANN order.
    public static let `default` = RankingModel(features: [Term(name: BuiltinFeature.embeddingScore.rawValue, weight: 1)],
                                               metadata: ["note": "default model: ANN score only"])

    /// Structural checks that need no store: finite numbers, positive scales, unique names,
    /// crosses naming listed features. `path` names the file in errors.
    public func validate(path: String) throws {
        func field(_ name: String, _ problem: String) -> RankingError { .modelField(path: path, field: name, problem: problem) }
        guard bias.isFinite else { throw field("bias", "expected a finite number, got \(bias)") }
        var seen = Set<String>()
        for (i, term) in features.enumerated() {
            let at = "features[\(i)]"
            guard !term.name.isEmpty else { throw field(at + ".name", "empty feature name") }
            guard seen.insert(term.name).inserted else { throw field(at + ".name", "feature '\(term.name)' is listed twice") }
            guard term.mean.isFinite else { throw field(at + ".mean", "expected a finite number, got \(term.mean)") }
            guard term.scale.isFinite && term.scale > 0 else { throw field(at + ".scale", "expected a finite number > 0, got \(term.scale)") }
            guard term.weight.isFinite else { throw field(at + ".weight", "expected a finite number, got \(term.weight)") }
            if let d = term.defaultValue, !d.isFinite { throw field(at + ".default", "expected a finite number, got \(d)") }
        }
        for (i, cross) in crosses.enumerated() {
            let at = "crosses[\(i)]"
            for (key, name) in [("a", cross.a), ("b", cross.b)] where !seen.contains(name) {
                throw field(at + "." + key, "'\(name)' is not one of the model's features (list it under 'features', weight 0 if need be)")
            }
            guard cross.weight.isFinite else { throw field(at + ".weight", "expected a finite number, got \(cross.weight)") }
        }
    }
}

extension RankingModel.Output {
    /// How MMR turns this output into relevance (`MMR.normalize`).
    public var relevanceScale: MMR.RelevanceScale {
        switch self {
        case .linear: return .minMax
        case .logistic: return .probability
        case .choice: return .logit
        }
    }
}
