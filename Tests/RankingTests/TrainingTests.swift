import Foundation
@testable import Ranking
import Store
import TestSupport
import XCTest

final class TrainingTests: XCTestCase {
    func testLogisticRegressionRecoversKnownWeights() {
        var rng = SeededRandom(seed: 5)
        let n = 40_000, p = 3
        let truth: [Double] = [1.5, -2.0, 0.5], bias = -0.3
        var x = [Float](repeating: 0, count: p * n)
        var labels: [Bool] = []
        for i in 0 ..< n {
            var z = bias
            for f in 0 ..< p {
                let v = rng.nextGaussian()
                x[f * n + i] = Float(v)
                z += truth[f] * v
            }
            labels.append(rng.nextDouble() < 1 / (1 + exp(-z)))
        }
        let fitted = LogisticRegression.fit(x: x, featureCount: p, labels: labels, l2: 0)
        for f in 0 ..< p { XCTAssertEqual(fitted.weights[f], truth[f], accuracy: 0.08, "weight \(f)") }
        XCTAssertEqual(fitted.bias, bias, accuracy: 0.06)
        // L2 shrinks every weight towards zero.
        let shrunk = LogisticRegression.fit(x: x, featureCount: p, labels: labels, l2: 20_000)
        for f in 0 ..< p { XCTAssertLessThan(abs(shrunk.weights[f]), abs(fitted.weights[f]) * 0.8) }
    }

    func testConditionalLogitRecoversKnownWeights() {
        // Choices among 8 alternatives drawn from a softmax over known weights; a per-choice
        // constant (feature 2) cannot matter and gets weight ~0.
        var rng = SeededRandom(seed: 9)
        let groups = 6000, g = 8, p = 3
        let truth: [Double] = [1.2, -0.7, 0]
        var x = [Float](repeating: 0, count: p * groups * g)
        let n = groups * g
        for q in 0 ..< groups {
            var values = [[Double]](repeating: [], count: g)
            let constant = rng.nextGaussian()
            for j in 0 ..< g { values[j] = [rng.nextGaussian(), rng.nextGaussian(), constant] }
            let weights = values.map { v in exp(zip(v, truth).map { $0 * $1 }.reduce(0, +)) }
            var target = rng.nextDouble() * weights.reduce(0, +)
            var chosen = g - 1
            for (j, w) in weights.enumerated() {
                target -= w
                if target < 0 { chosen = j; break }
            }
            values.swapAt(0, chosen)
            for j in 0 ..< g { for f in 0 ..< p { x[f * n + q * g + j] = Float(values[j][f]) } }
        }
        let fitted = ConditionalLogit.fit(x: x, featureCount: p, groupSize: g, l2: 0)
        for f in 0 ..< p { XCTAssertEqual(fitted.weights[f], truth[f], accuracy: 0.06, "weight \(f)") }
        let scores = fitted.scores(x: x, count: n)
        XCTAssertGreaterThan(RankingMetrics.choiceAUC(scores: scores, groupSize: g), 0.7)
        XCTAssertLessThan(RankerTrainer.choiceLoss(scores, groupSize: g), log(Double(g)), "better than a uniform guess")
    }

    func testCholeskySolve() throws {
        let a: [Double] = [4, 2, 0.4, 2, 5, 1, 0.4, 1, 3]
        let x = try XCTUnwrap(LogisticRegression.solve(a, [1, 2, 3], 3))
        for i in 0 ..< 3 {
            XCTAssertEqual((0 ..< 3).map { a[i * 3 + $0] * x[$0] }.reduce(0, +), [1.0, 2, 3][i], accuracy: 1e-12)
        }
        XCTAssertNil(LogisticRegression.solve([1, 2, 2, 1], [1, 1], 2), "not positive definite")
    }

    func testTrainerLearnsTheDemoCatalogue() throws {
        let fixture = try DemoFixture()
        var options = RankerTrainer.Options()
        options.candidates = 200
        options.crosses = [("cross.embedding_score", "item.popularity")]
        let report = try fixture.store.read { reader in
            try RankerTrainer.train(reader, recommender: fixture.recommender,
                                    interactions: TestStores.interactions(fixture.catalog.train), options: options)
        }
        let baselines = Dictionary(uniqueKeysWithValues: report.baselineAUC.map { ($0.name, $0.auc) })
        print("demo training: AUC \(report.heldOutAUC), baselines \(baselines), log-loss \(report.trainLogLoss) / \(report.heldOutLogLoss), "
              + "\(report.trainExamples) + \(report.heldOutExamples) examples")
        XCTAssertEqual(report.users, 300)
        XCTAssertEqual(report.interactions, fixture.catalog.train.count)
        XCTAssertGreaterThan(report.retrievable, report.interactions / 4, "most interactions lie near the user embedding")
        XCTAssertEqual(report.trainExamples + report.heldOutExamples, report.retrievable * 5)
        XCTAssertGreaterThan(report.heldOutAUC, 0.6)
        XCTAssertGreaterThan(report.heldOutAUC, baselines["item.popularity"]! + 0.02)
        XCTAssertGreaterThan(report.heldOutAUC, baselines["cross.embedding_score"]! + 0.02)
        XCTAssertLessThan(report.heldOutLogLoss, log(5.0) - 0.05, "better than a uniform guess among the 5 of a choice")
        let weights = Dictionary(uniqueKeysWithValues: report.model.features.map { ($0.name, $0.weight) })
        XCTAssertGreaterThan(weights["cross.embedding_score"]!, 0, "the generator favours items near the user")
        XCTAssertGreaterThan(weights["item.popularity"]!, 0, "the generator favours popular items")
        XCTAssertEqual(report.model.crosses.count, 1)
        // With a horizon, interactions are predicted from an earlier state: still well above chance.
        options.horizon = 5
        let horizon = try fixture.store.read { reader in
            try RankerTrainer.train(reader, recommender: fixture.recommender,
                                    interactions: TestStores.interactions(fixture.catalog.train), options: options)
        }
        print("demo training, horizon 5: AUC \(horizon.heldOutAUC)")
        XCTAssertGreaterThan(horizon.heldOutAUC, 0.6)
        XCTAssertNotEqual(horizon.model.features.map(\.weight), report.model.features.map(\.weight))
        // The model file it writes binds to the store and scores.
        let bound = try fixture.recommender.with(model: report.model)
        let result = try fixture.store.read { try bound.makeRanker().recommend($0, user: DemoCatalog.userID(0), k: 5) }
        XCTAssertEqual(result.items.count, 5)
        XCTAssert(result.items.allSatisfy { $0.score.isFinite })
        XCTAssertEqual(report.model.output, .choice)
        // Binary logistic regression on the same examples: probabilities, every feature kept.
        options.horizon = 0
        options.objective = .logistic
        let logistic = try fixture.store.read { reader in
            try RankerTrainer.train(reader, recommender: fixture.recommender,
                                    interactions: TestStores.interactions(fixture.catalog.train), options: options)
        }
        XCTAssertEqual(logistic.model.output, .logistic)
        XCTAssertGreaterThan(logistic.heldOutAUC, 0.6)
        XCTAssertGreaterThan(logistic.model.features.count, report.model.features.count, "per-user features too")
    }
}
