import Foundation
import Server
import Store
import VectorIndex
import VectorMath
import Wire
import XCTest

/// Every error code, every limit, each with its message; one log line per error.
final class ErrorCodeTests: XCTestCase {
    var fixture: ServerFixture!

    override func setUpWithError() throws {
        fixture = try ServerFixture { c in
            c.limits.maxK = 50
            c.limits.maxCandidates = 200
            c.limits.maxBatch = 4
            c.limits.maxDimension = 64
            c.limits.maxWriteRecords = 10
            c.limits.maxMessageBytes = 4096
        }
    }

    override func tearDown() {
        fixture?.tearDown()
    }

    func testBadRequest() throws {
        let client = try fixture.client()
        assertError(try client.call(Ann_V1_Request()), .badRequest, "names no operation")
        var both = Requests.recommend(user: "u1")
        both.recommend.vector = fixture.userVector(1)
        assertError(try client.call(both), .badRequest, "not both")
        var neither = Ann_V1_Request()
        neither.recommend = Ann_V1_RecommendRequest()
        assertError(try client.call(neither), .badRequest, "give user")
        var fewCandidates = Requests.recommend(user: "u1", k: 10)
        fewCandidates.recommend.candidates = 5
        assertError(try client.call(fewCandidates), .badRequest, "candidates (5) is smaller than k (10)")
        var mmr = Requests.recommend(user: "u1")
        mmr.recommend.mmr.lambda = 1.5
        assertError(try client.call(mmr), .badRequest, "mmr.lambda")
        var nan = fixture.userVector(0)
        nan[3] = .nan
        assertError(try client.call(Requests.search(nan)), .badRequest, "search.vector[3]")
        assertError(try client.call(Requests.search([])), .badRequest, "search.vector is empty")
        // Finite but so long that scores overflow float32: refused as a query and as a write.
        let huge = [Float](repeating: 3e38, count: fixture.userVector(0).count)
        assertError(try client.call(Requests.search(huge)), .badRequest, "search.vector: squared norm inf exceeds")
        assertError(try client.call(Requests.upsertItem(7001, vector: huge)), .badRequest, "squared norm inf exceeds")
        var badID = Requests.similar(item: 0)
        badID.similar.item = .string("-5")
        assertError(try client.call(badID), .badRequest, "signed number")
        var noID = Ann_V1_Request()
        noID.similar = Ann_V1_SimilarRequest()
        assertError(try client.call(noID), .badRequest, "item missing")
        var metric = Requests.upsertItem(7000, vector: fixture.itemVector(0))
        metric.upsert.metric = "hamming"
        assertError(try client.call(metric), .badRequest, "upsert.metric 'hamming'")
        var milliseconds = Requests.upsertItem(7000, vector: fixture.itemVector(0))
        var time = Ann_V1_Feature()
        time.time = 1_709_294_400_000
        milliseconds.upsert.items[0].features["seen"] = time
        assertError(try client.call(milliseconds), .badRequest, "upsert.items[0].features.seen 1709294400000: expected")
        var wrongKind = Requests.upsertItem(7000, vector: fixture.itemVector(0))
        var number = Ann_V1_Feature()
        number.number = 3
        wrongKind.upsert.items[0].features["category"] = number
        assertError(try client.call(wrongKind), .badRequest, "category")
        var noCategory = Ann_V1_Filter()
        noCategory.categories = ["x"]
        noCategory.categoryColumn = "rank"
        assertError(try client.call(Requests.search(fixture.userVector(0), filter: noCategory)), .badRequest, "not categorical")
    }

    func testUnknownID() throws {
        let client = try fixture.client()
        assertError(try client.call(Requests.recommend(user: "nobody")), .unknownID, "unknown user id 'nobody'")
        assertError(try client.call(Requests.similar(item: 1)), .unknownID, "unknown item id '1'")
        var only = Ann_V1_Filter()
        only.onlyItems = [.number(31337)]
        assertError(try client.call(Requests.search(fixture.userVector(0), filter: only)), .unknownID, "31337")
        assertOK(try client.call(Requests.deleteItems([1003])))
        assertError(try client.call(Requests.similar(item: 1003)), .unknownID, "item '1003' has no embedding")
        assertError(try client.call(Requests.deleteItems([88])), .unknownID, "unknown item id '88'")
        var history = Ann_V1_UpsertRequest()
        var h = Ann_V1_History()
        h.user = .string("u1")
        var i = Ann_V1_Interaction()
        i.item = .number(99)
        h.interactions = [i]
        history.histories = [h]
        var request = Ann_V1_Request()
        request.upsert = history
        assertError(try client.call(request), .unknownID, "unknown item id '99'")
    }

    func testDimensionMismatch() throws {
        let client = try fixture.client()
        assertError(try client.call(Requests.search([1, 2, 3])), .dimensionMismatch, "holds 8-d vectors, the request has 3")
        var recommend = Ann_V1_Request()
        recommend.recommend.vector = [1, 2]
        assertError(try client.call(recommend), .dimensionMismatch)
        assertError(try client.call(Requests.upsertItem(7001, vector: [1, 2, 3])), .dimensionMismatch)
    }

    func testLimits() throws {
        let client = try fixture.client()
        assertError(try client.call(Requests.search(fixture.userVector(0), k: 51)), .limitExceeded, "k is 51, over the limit of 50")
        var candidates = Requests.recommend(user: "u1")
        candidates.recommend.candidates = 201
        assertError(try client.call(candidates), .limitExceeded, "candidates is 201, over the limit of 200")
        assertError(try client.call(Requests.search([Float](repeating: 0, count: 65))), .limitExceeded, "search.vector length is 65")
        var batch = Ann_V1_Request()
        batch.batch.requests = Array(repeating: Requests.health, count: 5)
        assertError(try client.call(batch), .limitExceeded, "batch size is 5, over the limit of 4")
        var upsert = Ann_V1_Request()
        upsert.upsert.items = (0..<11).map { i in
            var r = Ann_V1_Record()
            r.id = .number(UInt64(9000 + i))
            return r
        }
        assertError(try client.call(upsert), .limitExceeded, "records in one upsert is 11")
        var ef = Requests.search(fixture.userVector(0))
        ef.search.ef = 1_000_000
        assertError(try client.call(ef), .limitExceeded, "ef is 1000000")
        // Over the message limit (4096 bytes) but under what the socket refuses (twice that).
        var big = Requests.search([Float](repeating: 0.5, count: 1500))
        big.requestID = 5
        let reply = try client.call(big)
        assertError(reply, .limitExceeded, "message size in bytes")
        XCTAssertEqual(reply.requestID, 5, "the id of an unread message is echoed (read from its first field)")
        assertOK(try client.call(Requests.health))
    }

    func testNotReadyOnAnEmptyStoreUntilTheFirstUpsert() throws {
        fixture.tearDown()
        fixture = try ServerFixture(empty: true)
        let client = try fixture.client()
        assertError(try client.call(Requests.search([1, 2, 3, 4])), .notReady, "no data yet")
        assertError(try client.call(Requests.health), .notReady, "no data yet")
        assertError(try client.call(Requests.deleteItems([1])), .unknownID)
        var featuresOnly = Ann_V1_Request()
        var record = Ann_V1_Record()
        record.id = .number(1)
        featuresOnly.upsert.items = [record]
        assertError(try client.call(featuresOnly), .notReady, "first upsert must carry vectors")
        var first = Requests.upsertItem(1, vector: [1, 0, 0, 0])
        first.upsert.metric = "cosine"
        assertOK(try client.call(first))
        assertOK(try client.call(Requests.upsertItem(2, vector: [0, 1, 0, 0])))
        let hits = assertOK(try client.call(Requests.search([0, 3, 0, 0], k: 2))).results.hits
        XCTAssertEqual(hits.map(\.id.num), [2, 1])
        XCTAssertEqual(hits[0].score, 1, accuracy: 1e-6, "cosine similarity")
        XCTAssertEqual(assertOK(try client.call(Requests.health)).health.dimension, 4)
    }

    /// A ranking stage that fails: the client sees INTERNAL, the log an error line.
    struct FailingRanker: RecommendHandler {
        struct Boom: Error {}
        var summary: String { "fails" }
        func makeSession(store: EmbeddingStore, index: any SearchIndex, retriever: any Retriever) throws -> any RecommendSession {
            Session()
        }
        final class Session: RecommendSession {
            func answer(_ query: RankingQuery, reader: StoreReader) throws -> RankedAnswer {
                throw Boom()
            }
        }
    }

    func testInternalErrorIsReportedAndLogged() throws {
        fixture.tearDown()
        fixture = try ServerFixture { $0.recommendHandler = FailingRanker() }
        let client = try fixture.client()
        var request = Requests.recommend(user: "u2")
        request.requestID = 4242
        assertError(try client.call(request), .internal, "Boom")
        XCTAssertEqual(fixture.log.all.filter { $0.0 == .error && $0.1.contains("request 4242 recommend: INTERNAL") }.count, 1)
        assertOK(try client.call(Requests.search(fixture.userVector(0))))
    }

    func testOneLogLinePerError() throws {
        let client = try fixture.client()
        var request = Requests.similar(item: 7)
        request.requestID = 31
        assertError(try client.call(request), .unknownID)
        assertOK(try client.call(Requests.health))
        XCTAssertEqual(fixture.log.count(containing: "request 31 similar: UNKNOWN_ID: unknown item id '7'"), 1)
        XCTAssertEqual(fixture.log.count(containing: "request 0 health"), 0)
    }

    func testReadOnlyServerRefusesWrites() throws {
        fixture.tearDown()
        fixture = try ServerFixture { $0.readOnly = true }
        let client = try fixture.client()
        assertError(try client.call(Requests.upsertItem(1, vector: fixture.itemVector(0))), .badRequest, "read-only")
        assertError(try client.call(Requests.deleteItems([1000])), .badRequest, "read-only")
        assertOK(try client.call(Requests.similar(item: 1000)))
    }
}
