import Foundation
@testable import Ranking
import Store
import TestSupport
import VectorMath
import XCTest

/// Every built-in feature against a value computed by hand on the tiny store (see `TestStores.tiny`).
final class FeatureTests: XCTestCase {
    var dir = TemporaryDirectory()
    var store: EmbeddingStore!

    override func setUpWithError() throws {
        dir = TemporaryDirectory()
        store = try TestStores.tiny(at: dir.path)
    }

    override func tearDown() {
        store = nil
        dir.remove()
    }

    /// Feature values of `items` for `user`, by feature name, at `TestStores.now`.
    func features(_ names: [String] = [], user: UInt32?, items: [UInt32],
                  context: RequestContext = RequestContext(time: TestStores.now)) throws -> [String: [Float]] {
        let model = RankingModel(features: names.map { RankingModel.Term(name: $0, weight: 0) })
        let recommender = try Recommender(store: store, model: model)
        let ranker = recommender.makeRanker()
        return try store.read { reader in
            try ranker.withFeatures(reader, userRow: user, items: items, context: context) { m in
                var out: [String: [Float]] = [:]
                for (f, name) in recommender.scorer.layout.names.enumerated() { out[name] = m.values(ofFeature: f) }
                return out
            }
        }
    }

    func assertValues(_ got: [Float]?, _ expected: [Float], _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let got else { return XCTFail("feature \(name) missing from the layout", file: file, line: line) }
        XCTAssertEqual(got.count, expected.count, name, file: file, line: line)
        for (g, e) in zip(got, expected) {
            if e.isNaN {
                XCTAssert(g.isNaN, "\(name): expected missing, got \(g)", file: file, line: line)
            } else {
                XCTAssertEqual(g, e, accuracy: 1e-5, "\(name): \(got) vs \(expected)", file: file, line: line)
            }
        }
    }

    func testItemFeatures() throws {
        let f = try features(["item.categories=a"], user: 0, items: [3, 4, 2, 5])
        assertValues(f["item.popularity"], [0.3, 0.7, 0.1, .nan], "item.popularity")
        assertValues(f["item.age"], [log1p(400), log1p(20), log1p(1), .nan], "item.age")
        assertValues(f["item.newness"], [0, 1 - 20.0 / 30, 1 - 1.0 / 30, .nan], "item.newness")
        assertValues(f["item.category_count"], [1, 2, 2, 0], "item.category_count")
        assertValues(f["item.price"], [40, 50, 30, .nan], "item.price")
        assertValues(f["item.categories=a"], [0, 1, 1, 0], "item.categories=a")
        XCTAssertNil(f["item.popularity_column"])
    }

    func testUserAndContextFeatures() throws {
        let ctx = RequestContext(time: TestStores.now, values: ["device": "mobile"])
        let f = try features(["user.segment=s1", "context.device=mobile", "context.device=tv"], user: 0, items: [3, 4], context: ctx)
        // History: 3 events (10:00, 11:00, 22:00), the latest 12 h before the request.
        assertValues(f["user.history_length"], [log1p(3), log1p(3)], "user.history_length")
        assertValues(f["user.recency"], [log1p(0.5), log1p(0.5)], "user.recency")
        // Labels a, b, a, b over the history: p = (0.5, 0.5).
        assertValues(f["user.category_entropy"], [Float(log(2.0)), Float(log(2.0))], "user.category_entropy")
        // Items 100 (5 d after release) and 102 (12 h after) were new when seen, 101 (98 d) was not.
        assertValues(f["user.new_item_taste"], [2.0 / 3, 2.0 / 3], "user.new_item_taste")
        assertValues(f["user.activity"], [0.25, 0.25], "user.activity")
        assertValues(f["user.segment=s1"], [1, 1], "user.segment=s1")
        let hour = 2 * Double.pi * 10 / 24
        assertValues(f["context.hour_sin"], [Float(sin(hour)), Float(sin(hour))], "context.hour_sin")
        assertValues(f["context.hour_cos"], [Float(cos(hour)), Float(cos(hour))], "context.hour_cos")
        assertValues(f["context.weekend"], [0, 0], "context.weekend (a Wednesday)")
        assertValues(f["context.device=mobile"], [1, 1], "context.device=mobile")
        assertValues(f["context.device=tv"], [0, 0], "context.device=tv")

        let saturday = RequestContext(time: TestStores.now + 3 * TestStores.day)
        assertValues(try features(user: 0, items: [3], context: saturday)["context.weekend"], [1], "context.weekend (a Saturday)")
    }

    func testCrossFeatures() throws {
        let f = try features(user: 0, items: [3, 4, 2])
        // Query (2, 1), inner product.
        assertValues(f["cross.embedding_score"], [-2, 0.5, 3], "cross.embedding_score")
        // Shares of the history: a 2/3, b 2/3, c 0; the best label of each item.
        assertValues(f["cross.category_affinity"], [0, 2.0 / 3, 2.0 / 3], "cross.category_affinity")
        let activity = Float(log1p(3.0))
        assertValues(f["cross.popularity_x_activity"], [0.3 * activity, 0.7 * activity, 0.1 * activity], "cross.popularity_x_activity")
        assertValues(f["cross.newness_x_taste"], [0, (1 - 20.0 / 30) * 2 / 3, (1 - 1.0 / 30) * 2 / 3], "cross.newness_x_taste")
        // Window: 102 (1,1), 101 (0,1), 100 (1,0). Cosines of 103 (-1,0): -0.707, 0, -1.
        let r = Float(0.5).squareRoot()
        assertValues(f["cross.history_max_similarity"], [0, r, 1], "cross.history_max_similarity")
        assertValues(f["cross.history_mean_similarity"], [(-r - 1) / 3, 0, (1 + 2 * r) / 3], "cross.history_mean_similarity")
        // Events at 10:00 and 11:00 fall within an hour of the request's 10:00; 22:00 does not.
        assertValues(f["cross.hour_match"], [2.0 / 3, 2.0 / 3, 2.0 / 3], "cross.hour_match")
    }

    func testHistoryCutoffReplaysThePast() throws {
        // As of 3 days ago only the first event (100, 10:00) had happened.
        let ctx = RequestContext(time: TestStores.now - 3 * TestStores.day, historyBefore: TestStores.now - 3 * TestStores.day)
        let f = try features(user: 0, items: [2, 4], context: ctx)
        assertValues(f["user.history_length"], [log1p(1), log1p(1)], "user.history_length")
        assertValues(f["user.recency"], [log1p(2), log1p(2)], "user.recency")
        assertValues(f["cross.category_affinity"], [1, 1], "cross.category_affinity")
        let r = Float(0.5).squareRoot()
        assertValues(f["cross.history_max_similarity"], [r, r], "cross.history_max_similarity")
        // Item 102 is released 1 day ago: 2 days in the future as of then, so it has no age yet.
        assertValues(f["item.newness"], [.nan, 1 - 17.0 / 30], "item.newness")
        assertValues(f["item.age"], [.nan, log1p(17)], "item.age")
    }

    func testMissingUserGivesMissingUserFeatures() throws {
        let f = try features(user: nil, items: [0, 1])
        for name in ["user.history_length", "user.recency", "user.category_entropy", "user.new_item_taste", "user.activity",
                     "cross.embedding_score", "cross.category_affinity", "cross.history_max_similarity", "cross.hour_match"] {
            assertValues(f[name], [.nan, .nan], name)
        }
        assertValues(f["item.popularity"], [0.9, 0.5], "item.popularity")
        // User u1 has no embedding: its query is the mean of its history's item vectors, (1, 0).
        let u1 = try features(user: 1, items: [0, 1, 2])
        assertValues(u1["cross.embedding_score"], [1, 0, 1], "cross.embedding_score from the history mean")
        // User u2 has features only: an empty history.
        let u2 = try features(user: 2, items: [0])
        assertValues(u2["user.history_length"], [0], "user.history_length")
        assertValues(u2["user.recency"], [.nan], "user.recency")
    }

    func testEmbeddingScoreFollowsTheMetric() throws {
        var rng = SeededRandom(seed: 2)
        for metric in [Metric.innerProduct, .cosine, .l2] {
            let sub = TemporaryDirectory()
            defer { sub.remove() }
            let s = try EmbeddingStore(path: sub.path, create: true)
            let items = (0 ..< 40 * 6).map { _ in Float(rng.nextGaussian()) }
            let user = (0 ..< 6).map { _ in Float(rng.nextGaussian()) * 2 }
            try s.write { w in
                try w.initialize(dimension: 6, metric: metric)
                _ = try items.withUnsafeBufferPointer { try w.upsertVectors(.item, ids: (0 ..< 40).map { .number(UInt64($0)) }, vectors: $0) }
                _ = try user.withUnsafeBufferPointer { try w.upsertVectors(.user, ids: [.string("u")], vectors: $0) }
            }
            var request = RankRequest(target: .user(.string("u")), k: 10, candidates: 40)
            request.mmr.lambda = 1
            let result = try s.read { try Recommender(store: s).makeRanker().rank($0, request) }
            XCTAssertEqual(result.items.count, 10)
            for item in result.items {
                // The default model's score is the embedding score; the ANN score comes from the index.
                XCTAssertEqual(item.score, item.annScore!, accuracy: 1e-4, "\(metric)")
            }
        }
    }

    func testCatalogIndexesCategories() throws {
        let catalog = try store.read { try ItemCatalog.load($0) }
        XCTAssertEqual(catalog.categories?.column.name, "categories")
        XCTAssertEqual(catalog.popularityColumn, "popularity")
        XCTAssertEqual(catalog.numericColumns.map(\.column.name), ["price"])
        let index = try XCTUnwrap(catalog.categories)
        XCTAssertEqual(index.rows(withCode: index.code(of: "a")!), [0, 2, 4])
        XCTAssertEqual(index.rows(withCode: index.code(of: "c")!), [3, 4])
        XCTAssertEqual(index.codes(ofItem: 5), [])
        XCTAssertEqual(index.jaccard(2, 4), 1.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(index.bitmap(anyOf: [index.code(of: "b")!, index.code(of: "c")!]).rows, [1, 2, 3, 4])
        XCTAssertEqual(Array(catalog.popularOrder.prefix(5)), [0, 4, 1, 3, 2])
        XCTAssertThrowsError(try catalog.categoryCodes(["zzz"])) {
            XCTAssertEqual($0 as? RankingError, .unknownLabel(column: "categories", label: "zzz"))
        }
        XCTAssertThrowsError(try store.read { try ItemCatalog.load($0, options: ItemCatalog.Options(categoryColumn: "price")) }) {
            XCTAssertEqual($0 as? RankingError, .invalidRequest(field: "categoryColumn", reason: "item column 'price' is numeric, expected multi-categorical or categorical"))
        }
    }
}
