import Foundation

/// A `RankingModel` bound to a catalogue: every feature name resolved to a row of the
/// ranker's `FeatureMatrix`, weights in flat arrays for the batch loop. Immutable; shared by
/// all workers.
public struct Scorer: Sendable {
    public let model: RankingModel
    /// What the ranker computes: the standard layout plus the features the model adds.
    public let layout: FeatureLayout
    /// Per model term: its row in the feature matrix.
    @usableFromInline let rows: [Int]
    @usableFromInline let means: [Float]
    @usableFromInline let inverseScales: [Float]
    @usableFromInline let weights: [Float]
    /// Raw value substituted for a missing feature.
    @usableFromInline let defaults: [Float]
    @usableFromInline let crossA: [Int]
    @usableFromInline let crossB: [Int]
    @usableFromInline let crossWeights: [Float]
    @usableFromInline let bias: Float
    @usableFromInline let logistic: Bool

    /// Resolves the model's feature names against `catalog`; `path` names the model file in
    /// errors (an unknown feature names its field, e.g. `features[3].name`).
    public init(model: RankingModel, catalog: ItemCatalog, path: String = "(model)") throws {
        try model.validate(path: path)
        var layout = FeatureLayout.standard(catalog)
        var rows: [Int] = []
        for (i, term) in model.features.enumerated() {
            switch layout.add(term.name, catalog: catalog) {
            case .success(let row): rows.append(row)
            case .failure(let why):
                throw RankingError.unknownFeature(path: path, field: "features[\(i)].name", name: term.name, reason: why.reason)
            }
        }
        var termOf: [String: Int] = [:]
        for (i, term) in model.features.enumerated() { termOf[term.name] = i }
        self.model = model
        self.layout = layout
        self.rows = rows
        means = model.features.map { Float($0.mean) }
        inverseScales = model.features.map { Float(1 / $0.scale) }
        weights = model.features.map { Float($0.weight) }
        defaults = model.features.map { Float($0.defaultValue ?? $0.mean) }
        crossA = model.crosses.map { termOf[$0.a]! }
        crossB = model.crosses.map { termOf[$0.b]! }
        crossWeights = model.crosses.map { Float($0.weight) }
        bias = Float(model.bias)
        logistic = model.output == .logistic
    }

    /// Number of model terms (rows of the normalised matrix).
    public var termCount: Int { rows.count }

    /// Scores `features.count` candidates into `scores`; the normalised term values go to
    /// `normalized` (`termCount` rows of `features.stride` floats) for explanations.
    @inlinable
    public func score(_ features: FeatureMatrix, normalized: UnsafeMutablePointer<Float>, into scores: UnsafeMutablePointer<Float>) {
        let n = features.count, stride = features.stride
        scores.update(repeating: bias, count: n)
        features.withRows { x in
            for t in 0 ..< rows.count {
                let source = x + rows[t] * stride, z = normalized + t * stride
                let mean = means[t], inverse = inverseScales[t], w = weights[t], fill = defaults[t]
                for c in 0 ..< n {
                    let raw = source[c]
                    let v = ((raw.isNaN ? fill : raw) - mean) * inverse
                    z[c] = v
                    scores[c] += w * v
                }
            }
        }
        for j in 0 ..< crossA.count {
            let a = normalized + crossA[j] * stride, b = normalized + crossB[j] * stride, w = crossWeights[j]
            for c in 0 ..< n { scores[c] += w * a[c] * b[c] }
        }
        if logistic {
            for c in 0 ..< n { scores[c] = 1 / (1 + expf(-scores[c])) }
        }
    }

    /// The term with the largest contribution to candidate `c`'s raw score (its weight times
    /// its normalised value, plus half of each cross it takes part in), and that contribution.
    public func topContribution(normalized: UnsafePointer<Float>, stride: Int, candidate c: Int) -> (name: String, value: Float)? {
        guard !rows.isEmpty else { return nil }
        var best = -Float.infinity, bestTerm = 0
        for t in 0 ..< rows.count {
            var v = weights[t] * normalized[t * stride + c]
            for j in 0 ..< crossA.count where crossA[j] == t || crossB[j] == t {
                v += 0.5 * crossWeights[j] * normalized[crossA[j] * stride + c] * normalized[crossB[j] * stride + c]
            }
            if v > best { best = v; bestTerm = t }
        }
        return (model.features[bestTerm].name, best)
    }
}
