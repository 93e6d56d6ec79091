import Foundation
@testable import Ranking
import Store
import TestSupport
import VectorIndex
import VectorMath
import XCTest

/// The pipeline on a generated catalogue (3,000 items, 300 users, 16-d, 10 categories).
final class RankerTests: XCTestCase {
    static var fixture: DemoFixture!

    override func setUpWithError() throws {
        if Self.fixture == nil { Self.fixture = try DemoFixture() }
    }

    override class func tearDown() { fixture = nil }

    var store: EmbeddingStore { Self.fixture.store }
    var catalog: DemoCatalog { Self.fixture.catalog }
    var recommender: Recommender { Self.fixture.recommender }

    func rank(_ request: RankRequest, recommender: Recommender? = nil) throws -> RankResult {
        let ranker = (recommender ?? self.recommender).makeRanker()
        return try store.read { try ranker.rank($0, request) }
    }

    func history(_ user: Int) throws -> Set<UInt32> {
        try store.read { Set(try $0.history(ofUser: UInt32(user)).map(\.item)) }
    }

    func labels(_ row: UInt32) -> Set<String> { Set(catalog.itemCategories[Int(row)].map(DemoCatalog.categoryName)) }

    func testFiltersAreNeverViolated() throws {
        for user in stride(from: 0, to: 300, by: 23) {
            let seen = try history(user)
            let excludedIDs: [ExternalID] = [DemoCatalog.itemID(user), DemoCatalog.itemID(user + 1)]
            var request = RankRequest(target: .user(DemoCatalog.userID(user)), k: 20, candidates: 300)
            request.filters = RankFilters(includeCategories: ["c1", "c2", "c3"], excludeCategories: ["c2"], excludeItems: excludedIDs)
            let result = try rank(request)
            XCTAssertFalse(result.items.isEmpty, "user \(user)")
            for item in result.items {
                let l = labels(item.row)
                XCTAssertFalse(l.isDisjoint(with: ["c1", "c2", "c3"]), "user \(user): item \(item.row) in none of the included categories")
                XCTAssertFalse(l.contains("c2"), "user \(user): item \(item.row) in an excluded category")
                XCTAssertFalse(seen.contains(item.row), "user \(user): item \(item.row) was in the history")
                XCTAssertFalse(excludedIDs.contains(item.id), "user \(user): item \(item.id) was excluded by id")
            }
        }
    }

    func testDefaultModelWithLambdaOneIsExactRetrievalOrder() throws {
        let user = 5
        var request = RankRequest(target: .user(DemoCatalog.userID(user)), k: 10, candidates: 100)
        request.mmr.lambda = 1
        let result = try rank(request)
        let expected: [UInt32] = try store.read { reader in
            let v = try XCTUnwrap(try reader.vector(ofRow: UInt32(user), .user))
            let seen = try reader.history(ofUser: UInt32(user)).map(\.item)
            return try FlatSearchIndex(meta: try reader.meta()).makeRetriever()
                .search(reader, query: v, parameters: SearchParameters(k: 10), filter: .excluding(seen)).map(\.id)
        }
        XCTAssertEqual(result.items.map(\.row), expected)
        for item in result.items { XCTAssertEqual(item.score, item.annScore!, accuracy: 1e-4) }
        XCTAssertEqual(result.querySource, .embedding)
        XCTAssertEqual(result.candidateCount, 100)
    }

    func testLowerLambdaRaisesDiversity() throws {
        func meanDiversity(_ lambda: Float) throws -> Double {
            var total = 0.0
            for user in stride(from: 0, to: 300, by: 10) {
                var request = RankRequest(target: .user(DemoCatalog.userID(user)), k: 10, candidates: 200)
                request.mmr.lambda = lambda
                let rows = try rank(request).items.map(\.row)
                var vectors: [Float] = []
                for r in rows { vectors += catalog.itemVectors[Int(r) * 16 ..< Int(r) * 16 + 16] }
                total += RankingMetrics.intraListDiversity(vectors, dimension: 16)!
            }
            return total / 30
        }
        let pure = try meanDiversity(1), mixed = try meanDiversity(0.7), diverse = try meanDiversity(0.3)
        XCTAssertGreaterThan(mixed, pure * 1.05, "lambda 0.7 vs 1: \(mixed) vs \(pure)")
        XCTAssertGreaterThan(diverse, mixed, "lambda 0.3 vs 0.7")
    }

    /// The pipeline's MMR (the whole candidate list as pool, raw similarities asked one row per
    /// pick) against a naive MMR recomputed here pair by pair over the candidates that lambda 1
    /// returns with their scores: the same picks, for cosine and Jaccard, max and mean penalty.
    func testMMROverEveryCandidateMatchesANaiveReference() throws {
        for (user, similarity, penalty) in [(3, MMROptions.Similarity.cosine, MMROptions.Penalty.mean), (40, .cosine, .max),
                                            (77, .jaccard, .mean), (120, .jaccard, .max)] {
            var request = RankRequest(target: .user(DemoCatalog.userID(user)), k: 120, candidates: 120)
            request.mmr.lambda = 1
            let all = try rank(request).items  // every candidate, best first, with its score
            XCTAssertEqual(all.count, 120)
            var relevance = all.map(\.score)
            relevance.withUnsafeMutableBufferPointer {
                MMR.normalize($0, scale: recommender.scorer.model.output.relevanceScale, listLength: 10)
            }
            let unit = all.map { item -> [Float] in
                let v = Array(catalog.itemVectors[Int(item.row) * 16 ..< Int(item.row) * 16 + 16])
                let norm = sqrt(v.reduce(0) { $0 + $1 * $1 })
                return v.map { $0 / norm }
            }
            func sim(_ i: Int, _ j: Int) -> Float {
                if similarity == .cosine { return zip(unit[i], unit[j]).reduce(0) { $0 + $1.0 * $1.1 } }
                return recommender.catalog.categories!.jaccard(all[i].row, all[j].row)
            }
            var chosen: [Int] = []
            while chosen.count < 10 {
                var best = -Float.infinity, pick = -1
                for i in all.indices where !chosen.contains(i) {
                    let against = chosen.map { sim(i, $0) }
                    let p = against.isEmpty ? 0 : (penalty == .mean ? against.reduce(0, +) / Float(against.count) : against.max()!)
                    let value = 0.7 * relevance[i] - 0.3 * p
                    if value > best { best = value; pick = i }
                }
                chosen.append(pick)
            }
            request.k = 10
            request.mmr = MMROptions(lambda: 0.7, similarity: similarity, penalty: penalty)
            let picked = try rank(request).items.map(\.row)
            XCTAssertEqual(picked, chosen.map { all[$0].row }, "user \(user) \(similarity) \(penalty)")
            XCTAssertNotEqual(picked, Array(all.prefix(10).map(\.row)), "MMR changed the list")
        }
    }

    func testCategoryCapsAndMinimumScore() throws {
        for user in [1, 50, 150] {
            var request = RankRequest(target: .user(DemoCatalog.userID(user)), k: 10, candidates: 300)
            request.rules.categoryCap = 2
            let capped = try rank(request)
            XCTAssertEqual(capped.items.count, 10)
            var counts: [String: Int] = [:]
            for item in capped.items { for l in labels(item.row) { counts[l, default: 0] += 1 } }
            XCTAssert(counts.values.allSatisfy { $0 <= 2 }, "user \(user): \(counts)")

            var plain = RankRequest(target: .user(DemoCatalog.userID(user)), k: 10, candidates: 300)
            plain.mmr.lambda = 1
            let scores = try rank(plain).items.map(\.score)
            let threshold = scores[4]
            plain.rules.minScore = threshold
            let above = try rank(plain)
            XCTAssertEqual(above.items.count, 5, "user \(user): only the 5 scoring at least \(threshold)")
            XCTAssert(above.items.allSatisfy { $0.score >= threshold })
        }
    }

    func testJaccardDiversityUsesCategories() throws {
        var request = RankRequest(target: .user(DemoCatalog.userID(9)), k: 10, candidates: 300)
        request.mmr = MMROptions(lambda: 0.2, similarity: .jaccard)
        let diverse = try rank(request).items.map { labels($0.row) }
        request.mmr.lambda = 1
        let plain = try rank(request).items.map { labels($0.row) }
        XCTAssertGreaterThanOrEqual(Set(diverse.flatMap { $0 }).count, Set(plain.flatMap { $0 }).count)
    }

    func testColdStartUnknownUserGetsPopularItemsWithinFilters() throws {
        var request = RankRequest(target: .user(.string("nobody")), k: 8, candidates: 50)
        request.mmr.lambda = 1
        request.filters.includeCategories = ["c4"]
        let result = try rank(request)
        XCTAssertEqual(result.querySource, .popular)
        let expected = Self.fixture.recommender.catalog.popularOrder.filter { labels($0).contains("c4") }.prefix(8)
        XCTAssertEqual(result.items.map(\.row), Array(expected))
        XCTAssert(result.items.allSatisfy { $0.annScore == nil })
        // Diversified the same way: lambda 0 never picks two items of identical embedding direction first.
        request.mmr.lambda = 0.5
        XCTAssertEqual(try rank(request).items.count, 8)
    }

    func testColdStartHistoryOnlyUsesTheHistoryMean() throws {
        // A store whose user has a history and no embedding.
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let small = try DemoCatalog(spec: DemoCatalogSpec(items: 500, users: 3, dimension: 8, categories: 5, seed: 3))
        let s = try TestStores.demo(small, at: dir.path)
        try s.write { w in
            let row = try w.resolve(.string("newcomer"), .user).row
            try w.appendHistory(user: row, entries: [HistoryEntry(item: 10, timestamp: 1), HistoryEntry(item: 20, timestamp: 2)])
        }
        let rec = try Recommender(store: s)
        var request = RankRequest(target: .user(.string("newcomer")), k: 5, candidates: 50)
        request.mmr.lambda = 1
        let result = try s.read { try rec.makeRanker().rank($0, request) }
        XCTAssertEqual(result.querySource, .historyMean)
        let vectors = small.itemVectors
        let mean: [Float] = (0 ..< 8).map { (j: Int) -> Float in (vectors[80 + j] + vectors[160 + j]) / 2 }
        let expected = try s.read { r in
            try FlatSearchIndex(meta: try r.meta()).makeRetriever().search(r, query: mean, parameters: SearchParameters(k: 5), filter: .excluding([10, 20]))
        }
        XCTAssertEqual(result.items.map { $0.row }, expected.map { $0.id })
    }

    func testSessionItemsBlendIntoTheQueryAndAreExcluded() throws {
        let user = 17
        let session: [UInt32] = [100, 200]
        var request = RankRequest(target: .user(DemoCatalog.userID(user)), k: 10, candidates: 200)
        request.mmr.lambda = 1
        request.context.sessionItems = session.map { DemoCatalog.itemID(Int($0)) }
        request.context.sessionWeight = 0.4
        let result = try rank(request)
        XCTAssert(result.items.allSatisfy { !session.contains($0.row) })
        let d = 16
        let blended = (0 ..< d).map { j -> Float in
            let mean = (catalog.itemVectors[100 * d + j] + catalog.itemVectors[200 * d + j]) / 2
            return 0.6 * catalog.userVectors[user * d + j] + 0.4 * mean
        }
        let seen = try history(user).union(session)
        let expected = try store.read { r in
            try FlatSearchIndex(meta: try r.meta()).makeRetriever().search(r, query: blended, parameters: SearchParameters(k: 10), filter: .excluding(seen))
        }
        XCTAssertEqual(result.items.map(\.row), expected.map(\.id))
    }

    func testSimilarLeavesTheItemOutAndExplains() throws {
        let item = 42
        var request = RankRequest(target: .item(DemoCatalog.itemID(item)), k: 5, candidates: 100, explain: true)
        request.mmr.lambda = 1
        let result = try rank(request)
        XCTAssertFalse(result.items.contains { $0.row == UInt32(item) })
        XCTAssertEqual(result.items.count, 5)
        for r in result.items {
            let e = try XCTUnwrap(r.explanation)
            XCTAssertNil(e.historyItem, "no user, no history")
            XCTAssertEqual(e.topFeature, "cross.embedding_score")
        }
        XCTAssertThrowsError(try rank(RankRequest(target: .item(.number(99_999_999))))) {
            XCTAssertEqual($0 as? RankingError, .store(.unknownID(.item, .number(99_999_999))))
        }
    }

    func testExplanationNamesTheMostSimilarHistoryItem() throws {
        let user = 3
        var request = RankRequest(target: .user(DemoCatalog.userID(user)), k: 5, candidates: 100, explain: true)
        request.mmr.lambda = 1
        let result = try rank(request)
        let window = try store.read { try $0.history(ofUser: UInt32(user)) }.suffix(20).map(\.item)
        for r in result.items {
            let e = try XCTUnwrap(r.explanation)
            let row = try XCTUnwrap(e.historyRow)
            let cosine = { (a: Int, b: Int) -> Float in
                let x = self.catalog.itemVectors[a * 16 ..< a * 16 + 16], y = self.catalog.itemVectors[b * 16 ..< b * 16 + 16]
                let dot = zip(x, y).map { $0 * $1 }.reduce(0, +)
                return dot / (x.map { $0 * $0 }.reduce(0, +).squareRoot() * y.map { $0 * $0 }.reduce(0, +).squareRoot())
            }
            let best = window.max { cosine(Int(r.row), Int($0)) < cosine(Int(r.row), Int($1)) }!
            XCTAssertEqual(row, best)
            XCTAssertEqual(e.historySimilarity!, cosine(Int(r.row), Int(best)), accuracy: 1e-4)
            XCTAssertEqual(e.historyItem, DemoCatalog.itemID(Int(best)))
        }
    }

    func testServingScoresEqualTrainingFeatureScores() throws {
        // The pipeline and the training path (`scores(userRow:items:context:)`) compute the same features.
        let model = RankingModel(output: .logistic, bias: 0.1, features: [
            .init(name: "cross.embedding_score", mean: 1, scale: 0.5, weight: 0.7), .init(name: "item.popularity", mean: 0.3, scale: 0.2, weight: 0.4),
            .init(name: "cross.category_affinity", weight: 0.9), .init(name: "cross.history_mean_similarity", weight: -0.3),
            .init(name: "item.newness", weight: 0.2), .init(name: "user.history_length", weight: 0.1),
        ], crosses: [.init(a: "item.popularity", b: "cross.category_affinity", weight: 0.3)])
        let trained = try recommender.with(model: model)
        let time = catalog.test.first { $0.user == 8 }!.timestamp
        var request = RankRequest(target: .user(DemoCatalog.userID(8)), k: 20, candidates: 200)
        request.context = RequestContext(time: time)
        request.mmr.lambda = 1
        let ranker = trained.makeRanker()
        let served = try store.read { try ranker.rank($0, request) }
        let again = try store.read { try ranker.scores($0, userRow: 8, items: served.items.map(\.row), context: RequestContext(time: time)) }
        for (item, score) in zip(served.items, again) { XCTAssertEqual(item.score, score, accuracy: 1e-6) }
        XCTAssertEqual(served.items.map(\.score), served.items.map(\.score).sorted(by: >))
    }

    func testInvalidRequestsNameTheField() {
        XCTAssertThrowsError(try rank(RankRequest(target: .popular, k: 0))) {
            XCTAssertEqual($0 as? RankingError, .invalidRequest(field: "k", reason: "0: expected 1...10000"))
        }
        XCTAssertThrowsError(try rank(RankRequest(target: .popular, k: 10, candidates: 5))) {
            XCTAssertEqual($0 as? RankingError, .invalidRequest(field: "candidates", reason: "5: expected k (10)...100000"))
        }
        XCTAssertThrowsError(try rank(RankRequest(target: .popular, mmr: MMROptions(lambda: 1.5)))) {
            XCTAssertEqual($0 as? RankingError, .invalidRequest(field: "mmr.lambda", reason: "1.5: expected 0...1"))
        }
        var late = RankRequest(target: .popular)
        late.context.time = .max
        XCTAssertThrowsError(try rank(late)) {
            XCTAssertEqual($0 as? RankingError, .invalidRequest(field: "context.time",
                reason: "9223372036854775807: expected -62135596800...253402300799 (seconds since 1970, years 1 to 9999)"))
        }
        var offset = RankRequest(target: .popular)
        offset.context.utcOffsetSeconds = .min
        XCTAssertThrowsError(try rank(offset)) {
            XCTAssertEqual($0 as? RankingError, .invalidRequest(field: "context.utcOffsetSeconds",
                reason: "-9223372036854775808: expected -86400...86400"))
        }
        var unknownCategory = RankRequest(target: .popular)
        unknownCategory.filters.includeCategories = ["nope"]
        XCTAssertThrowsError(try rank(unknownCategory)) {
            XCTAssertEqual($0 as? RankingError, .unknownLabel(column: "categories", label: "nope"))
        }
    }

    /// The local day and second of any Int64 time at any offset, without overflow (stored
    /// history timestamps are not range-checked the way request times are).
    func testLocalClockOfExtremeTimes() {
        XCTAssertTrue(Ranker.localClock(-1, offset: 0) == (-1, 86_399))
        XCTAssertTrue(Ranker.localClock(86_399, offset: 1) == (1, 0))
        XCTAssertTrue(Ranker.localClock(0, offset: -86_400) == (-1, 0))
        XCTAssertTrue(Ranker.localClock(.max, offset: 86_400) == (Int64.max / 86_400 + 1, Int64.max % 86_400))
        XCTAssertTrue(Ranker.localClock(.min, offset: -86_400) == (Int64.min / 86_400 - 2, 86_400 + Int64.min % 86_400))
        XCTAssertTrue(Ranker.localClock(.max, offset: .max) == (Int64.max / 86_400 * 2 + 1, 2 * (Int64.max % 86_400) - 86_400))
    }
}
