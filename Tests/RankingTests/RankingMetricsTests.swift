import Foundation
@testable import Ranking
import Store
import TestSupport
import XCTest

final class RankingMetricsTests: XCTestCase {
    func testListMetricsByHand() {
        // Relevant {1, 3, 9}; ranked 1 (hit), 2, 3 (hit), 4, 5.
        let ranked: [UInt32] = [1, 2, 3, 4, 5]
        let relevant: Set<UInt32> = [1, 3, 9]
        XCTAssertEqual(RankingMetrics.recall(ranked, relevant: relevant, k: 5), 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(RankingMetrics.recall(ranked, relevant: relevant, k: 2), 1.0 / 3, accuracy: 1e-12)
        let dcg = 1 + 1 / log2(4.0), ideal = 1 + 1 / log2(3.0) + 1 / log2(4.0)
        XCTAssertEqual(RankingMetrics.ndcg(ranked, relevant: relevant, k: 5), dcg / ideal, accuracy: 1e-12)
        XCTAssertEqual(RankingMetrics.ndcg([1, 3], relevant: [1, 3], k: 2), 1, accuracy: 1e-12)
        // AP@5 = (1/1 + 2/3) / min(3, 5).
        XCTAssertEqual(RankingMetrics.averagePrecision(ranked, relevant: relevant, k: 5), (1 + 2.0 / 3) / 3, accuracy: 1e-12)
        // AP@2 = (1/1) / min(3, 2).
        XCTAssertEqual(RankingMetrics.averagePrecision(ranked, relevant: relevant, k: 2), 0.5, accuracy: 1e-12)
        XCTAssertEqual(RankingMetrics.ndcg([7, 8], relevant: relevant, k: 2), 0)
        XCTAssertEqual(RankingMetrics.recall(ranked, relevant: [], k: 5), 0)
    }

    func testDiversityAucLogLossPercentile() {
        // (1,0), (0,1), (1,1): 1 - cos = 1, 1 - 0.7071, 1 - 0.7071.
        let ild = RankingMetrics.intraListDiversity([1, 0, 0, 1, 1, 1], dimension: 2)!
        XCTAssertEqual(ild, (1 + 2 * (1 - 0.5.squareRoot())) / 3, accuracy: 1e-9)
        XCTAssertNil(RankingMetrics.intraListDiversity([1, 0], dimension: 2))
        // Positives 0.9 and 0.4, negatives 0.5, 0.4, 0.1: pairs won 3 + 1.5 of 6.
        XCTAssertEqual(RankingMetrics.auc(scores: [0.9, 0.5, 0.4, 0.4, 0.1], labels: [true, false, true, false, false]), 4.5 / 6, accuracy: 1e-12)
        XCTAssertEqual(RankingMetrics.auc(scores: [1, 2], labels: [true, true]), 0.5)
        XCTAssertEqual(RankingMetrics.auc(scores: [.nan, 0], labels: [true, false]), 0)
        XCTAssertEqual(RankingMetrics.logLoss(probabilities: [0.8, 0.3], labels: [true, false]), -(log(0.8) + log(0.7)) / 2, accuracy: 1e-12)
        let values = (1 ... 100).map(Double.init).shuffled()
        XCTAssertEqual(RankingMetrics.percentile(values, 50), 50)
        XCTAssertEqual(RankingMetrics.percentile(values, 99), 99)
        XCTAssertEqual(RankingMetrics.percentile(values, 100), 100)
        XCTAssertEqual(RankingMetrics.percentile([3], 99), 3)
    }

    func testEvaluatorPipelineMatchesRetrievalWithoutRanking() throws {
        let fixture = try DemoFixture()
        var options = Evaluator.Options()
        options.k = 10
        options.candidates = 10
        options.mmr.lambda = 1
        let test = TestStores.interactions(fixture.catalog.test)
        let report = try fixture.store.read { try Evaluator.run($0, recommender: fixture.recommender, test: test, options: options) }
        XCTAssertEqual(report.pipeline.users, 300)
        XCTAssertEqual(report.retrieval.users, 300)
        // The default model keeps ANN order: the same lists, the same metrics.
        XCTAssertEqual(report.pipeline.recall, report.retrieval.recall, accuracy: 1e-12)
        XCTAssertEqual(report.pipeline.ndcg, report.retrieval.ndcg, accuracy: 1e-12)
        XCTAssertEqual(report.pipeline.map, report.retrieval.map, accuracy: 1e-12)
        XCTAssertEqual(report.pipeline.coverage, report.retrieval.coverage, accuracy: 1e-12)
        XCTAssertGreaterThan(report.retrieval.ndcg, 0.01, "the demo's test items lie near the user embeddings")

        // Hand check of one user's recall against the catalogue's test split.
        options.maxUsers = 1
        let one = try fixture.store.read { try Evaluator.run($0, recommender: fixture.recommender, test: test, options: options) }
        let relevant = Set(fixture.catalog.test.filter { $0.user == 0 }.map { UInt32($0.item) })
        let ranked = try fixture.store.read { try fixture.recommender.makeRanker().recommend($0, user: DemoCatalog.userID(0), k: 10, candidates: 10,
                                                                                                context: RequestContext(time: fixture.catalog.test.first { $0.user == 0 }!.timestamp),
                                                                                                mmr: MMROptions(lambda: 1)) }
        XCTAssertEqual(one.pipeline.recall, RankingMetrics.recall(ranked.items.map(\.row), relevant: relevant, k: 10), accuracy: 1e-12)
    }
}
