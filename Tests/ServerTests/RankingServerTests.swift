import Foundation
import Logging
import Ranking
import Server
import Store
import TestSupport
import Wire
import XCTest

/// recommend and similar through the ranking pipeline (`RankingRecommender`) of a real
/// server on a small demo catalogue, against the in-process pipeline and the filters.
final class RankingServerTests: XCTestCase {
    static let spec = DemoCatalogSpec(items: 2000, users: 60, dimension: 16, categories: 8, historyMean: 15, seed: 11)
    /// A hand-written model (docs/RANKING.md format): embedding score, popularity, category affinity.
    static let modelJSON = """
        {"format": "annserver.ranking-model", "version": 1, "output": "linear", "bias": 0,
         "features": [
           {"name": "cross.embedding_score", "mean": 0, "scale": 1, "weight": 1},
           {"name": "item.popularity", "mean": 0.5, "scale": 0.2, "weight": 0.3},
           {"name": "cross.category_affinity", "mean": 0.1, "scale": 0.1, "weight": 0.2}
         ],
         "crosses": [{"a": "cross.embedding_score", "b": "item.popularity", "weight": 0.05}]}
        """
    static let time: Int64 = 1_700_000_000 + 729 * 86_400

    var directory = ""
    var catalog: DemoCatalog!
    var modelPath = ""
    var server: AnnServer!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "ranking-server-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        catalog = try DemoCatalog(spec: Self.spec)
        _ = try catalog.makeStore(at: directory + "/store")   // closed again before the server opens it
        modelPath = directory + "/model.json"
        try Self.modelJSON.write(toFile: modelPath, atomically: true, encoding: .utf8)
        var configuration = ServerConfiguration(storePath: directory + "/store")
        configuration.listen = ["tcp://127.0.0.1:0"]
        configuration.workers = 2
        configuration.contexts = 8
        configuration.shutdownLinger = .milliseconds(20)
        configuration.logger = Logger(label: "ranking-server-tests") { _ in SwiftLogNoOpLogHandler() }
        configuration.recommendHandler = try RankingRecommender(modelFile: modelPath)
        server = try AnnServer(configuration: configuration)
        server.start()
    }

    override func tearDown() {
        server?.shutdown(timeout: 5)
        server = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    func client() throws -> ServerClient { try ServerClient(url: server.boundURLs[0], timeout: .seconds(10)) }

    static func recommend(_ user: Int, k: UInt32 = 10, lambda: Float? = nil, explain: Bool = false,
                          filter: Ann_V1_Filter? = nil, session: [Int] = []) -> Ann_V1_Request {
        var r = Ann_V1_RecommendRequest()
        r.user = .string("u\(user)")
        r.k = k
        r.candidates = 200
        r.explain = explain
        r.features = ["categories"]
        if let lambda { r.mmr.lambda = lambda }
        if let filter { r.filter = filter }
        r.session.time = time
        r.session.items = session.map { .number(UInt64(1_000_000 + $0)) }
        var request = Ann_V1_Request()
        request.recommend = r
        return request
    }

    /// Item rows of the hits with numeric ids (the demo's items).
    func hitRows(_ reply: Ann_V1_Reply) -> [Int] {
        reply.results.hits.compactMap { $0.id.kind == .num($0.id.num) ? Int($0.id.num) - 1_000_000 : nil }
    }

    func testRecommendReturnsRankedItemsWithReasons() throws {
        let c = try client()
        for user in [0, 7, 23] {
            let reply = assertOK(try c.call(Self.recommend(user, explain: true)))
            let hits = reply.results.hits
            XCTAssertEqual(hits.count, 10)
            XCTAssertEqual(reply.results.querySource, "embedding")
            for (a, b) in zip(hits, hits.dropFirst()) { XCTAssertGreaterThanOrEqual(a.score, b.score, "no MMR: score order") }
            for hit in hits {
                XCTAssertTrue(hit.reason.hasPrefix("because you liked ") || hit.reason.hasPrefix("top feature "), hit.reason)
                XCTAssertTrue(hit.hasAnnScore)
            }
            XCTAssertTrue(hits.contains { abs($0.score - $0.annScore) > 1e-3 }, "the model, not the ANN score, ranks")
            let seen = Set(catalog.train.filter { $0.user == user }.map { Int($0.item) })
            XCTAssertTrue(Set(hitRows(reply)).isDisjoint(with: seen), "history left out")
        }
    }

    func testServerAnswersAsTheInProcessPipeline() throws {
        let c = try client()
        // The in-process pipeline on the same data (a second store: one process must not open
        // one LMDB environment twice).
        let local = try catalog.makeStore(at: directory + "/local")
        let recommender = try Recommender(store: local, model: try RankingModel.load(path: modelPath))
        let ranker = recommender.makeRanker()
        for user in [1, 5, 9, 30] {
            for lambda: Float in [1, 0.5] {
                let reply = assertOK(try c.call(Self.recommend(user, lambda: lambda, explain: true, session: [user * 3])))
                var request = RankRequest(target: .user(.string("u\(user)")), k: 10, candidates: 200, explain: true)
                request.mmr = MMROptions(lambda: lambda)
                request.context = RequestContext(time: Self.time, sessionItems: [.number(UInt64(1_000_000 + user * 3))])
                let expected = try local.read { try ranker.rank($0, request) }
                XCTAssertEqual(reply.results.hits.map(\.id.num), expected.items.map { item -> UInt64 in
                    if case .number(let n) = item.id { return n }
                    return 0
                })
                for (hit, item) in zip(reply.results.hits, expected.items) {
                    XCTAssertEqual(hit.score, item.score, accuracy: 1e-5)
                    XCTAssertEqual(hit.reason, item.explanation?.summary)
                }
            }
        }
    }

    func testFiltersNeverLeak() throws {
        let c = try client()
        for user in 0 ..< 12 {
            let unfiltered = hitRows(assertOK(try c.call(Self.recommend(user, k: 20))))
            var filter = Ann_V1_Filter()
            filter.categories = ["c1", "c2", "c3"]
            filter.excludeCategories = ["c2"]
            filter.excludeItems = unfiltered.prefix(5).map { .number(UInt64(1_000_000 + $0)) }
            let session = Array(unfiltered.dropFirst(5).prefix(2))
            for lambda: Float? in [nil, 0.5] {
                let reply = assertOK(try c.call(Self.recommend(user, k: 20, lambda: lambda, filter: filter, session: session)))
                let seen = Set(catalog.train.filter { $0.user == user }.map { Int($0.item) })
                for row in hitRows(reply) {
                    let labels = Set(catalog.itemCategories[row].map(DemoCatalog.categoryName))
                    XCTAssertFalse(labels.isDisjoint(with: ["c1", "c3"]), "item \(row) \(labels) is in no included category")
                    XCTAssertFalse(labels.contains("c2"), "item \(row) is in the excluded category c2")
                    XCTAssertFalse(unfiltered.prefix(5).contains(row), "excluded id \(row) returned")
                    XCTAssertFalse(session.contains(row), "session item \(row) returned")
                    XCTAssertFalse(seen.contains(row), "history item \(row) returned")
                }
            }
        }
    }

    func testMMRLambdaChangesTheList() throws {
        let c = try client()
        var changed = 0
        for user in 0 ..< 10 {
            let plain = hitRows(assertOK(try c.call(Self.recommend(user))))
            XCTAssertEqual(hitRows(assertOK(try c.call(Self.recommend(user, lambda: 1)))), plain, "lambda 1 is relevance order")
            let diverse = hitRows(assertOK(try c.call(Self.recommend(user, lambda: 0.3))))
            XCTAssertEqual(diverse.first, plain.first, "the first pick is the most relevant item")
            if diverse != plain { changed += 1 }
        }
        XCTAssertGreaterThan(changed, 5)
    }

    func testErrorsOfTheRankingFields() throws {
        let c = try client()
        var unknown = Self.recommend(0)
        unknown.recommend.user = .string("nobody")
        assertError(try c.call(unknown), .unknownID, "nobody")
        var similar = Ann_V1_SimilarRequest()
        similar.item = .number(1_000_010)
        similar.user = .string("nobody")
        var request = Ann_V1_Request()
        request.similar = similar
        assertError(try c.call(request), .unknownID, "nobody")
        var jaccardTypo = Self.recommend(0, lambda: 0.5)
        jaccardTypo.recommend.mmr.similarity = "jacard"
        assertError(try c.call(jaccardTypo), .badRequest, "mmr.similarity")
        var weight = Self.recommend(0)
        weight.recommend.session.weight = 2
        assertError(try c.call(weight), .badRequest, "session.weight")
        // Extreme 64-bit times and offsets are refused, not overflowed (they stopped the server once).
        for (time, offset, field) in [(Self.time, Int64.min, "session.utcOffsetSeconds"), (Int64.max, 1, "session.time"),
                                      (Int64.min, 0, "session.time"), (Self.time, 86_401, "session.utcOffsetSeconds")] {
            var extreme = Self.recommend(0)
            extreme.recommend.session.time = time
            extreme.recommend.session.utcOffsetSeconds = offset
            assertError(try c.call(extreme), .badRequest, field)
        }
        var edge = Self.recommend(0)
        edge.recommend.session.time = RequestContext.times.upperBound
        edge.recommend.session.utcOffsetSeconds = 86_400
        XCTAssertEqual(try c.call(edge).results.hits.count, 10)
    }

    func testHealthNamesTheModelAndColdStartsWork() throws {
        let c = try client()
        let health = assertOK(try c.call(Requests.health)).health
        let fingerprint = RankingRecommender.fingerprint(try RankingModel.load(path: modelPath))
        XCTAssertTrue(health.ranking.contains(fingerprint), health.ranking)

        // A user with a history but no embedding: the mean of its recent items; a new item
        // written after startup can be returned (the catalogue follows the write).
        var history = Ann_V1_History()
        history.user = .string("fresh")
        history.interactions = (0 ..< 3).map { i in
            var e = Ann_V1_Interaction()
            e.item = .number(UInt64(1_000_000 + i))
            e.time = Self.time - 1000
            return e
        }
        var item = Ann_V1_Record()
        item.id = .string("new-item")
        item.vector = (0 ..< Self.spec.dimension).map { j in 50 * (catalog.itemVectors[j] + catalog.itemVectors[Self.spec.dimension + j]) }
        var upsert = Ann_V1_UpsertRequest()
        upsert.histories = [history]
        upsert.items = [item]
        var write = Ann_V1_Request()
        write.upsert = upsert
        assertOK(try c.call(write))
        var r = Self.recommend(0)
        r.recommend.user = .string("fresh")
        let reply = assertOK(try c.call(r))
        XCTAssertEqual(reply.results.querySource, "history-mean")
        XCTAssertEqual(reply.results.hits.first?.id.str, "new-item")
        XCTAssertFalse(hitRows(reply).contains { $0 < 3 }, "the history is left out")
    }
}
