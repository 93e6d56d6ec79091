import Foundation
import Server
import Wire
import XCTest

/// Every op over a real socket, in binary and in JSON, against naive references.
final class ProtocolTests: XCTestCase {
    var fixture: ServerFixture!

    override func setUpWithError() throws {
        fixture = try ServerFixture()
    }

    override func tearDown() {
        fixture?.tearDown()
    }

    func testSearchMatchesExactReference() throws {
        let client = try fixture.client()
        for q in 0..<5 {
            let query = fixture.userVector(q)
            let reply = assertOK(try client.call(Requests.search(query, k: 10)))
            assertSameRanking(reply.results.hits, fixture.reference(query, k: 10))
        }
    }

    func testRequestIDIsEchoed() throws {
        let client = try fixture.client()
        var request = Requests.health
        request.requestID = 123_456_789_012
        XCTAssertEqual(try client.call(request).requestID, 123_456_789_012)
        var failing = Requests.search([1, 2], k: 1)
        failing.requestID = 77
        let reply = try client.call(failing)
        XCTAssertEqual(reply.requestID, 77)
        assertError(reply, .dimensionMismatch)
    }

    func testRecommendLeavesHistoryOutUnlessAsked() throws {
        let client = try fixture.client()
        for u in [0, 3, 17] {
            let seen = Set(fixture.histories[u])
            let reply = assertOK(try client.call(Requests.recommend(user: ServerFixture.userID(u), k: 10)))
            assertSameRanking(reply.results.hits, fixture.reference(fixture.userVector(u), k: 10) { !seen.contains($0) })
            let withSeen = assertOK(try client.call(Requests.recommend(user: ServerFixture.userID(u), k: 10, includeSeen: true)))
            assertSameRanking(withSeen.results.hits, fixture.reference(fixture.userVector(u), k: 10))
        }
    }

    func testRecommendByVectorAndExplain() throws {
        let client = try fixture.client()
        var request = Ann_V1_Request()
        var recommend = Ann_V1_RecommendRequest()
        recommend.vector = fixture.userVector(5)
        recommend.k = 4
        recommend.explain = true
        request.recommend = recommend
        let reply = assertOK(try client.call(request))
        assertSameRanking(reply.results.hits, fixture.reference(fixture.userVector(5), k: 4))
        XCTAssertTrue(reply.results.hits.allSatisfy { $0.reason.contains("query vector") }, "\(reply.results.hits)")
    }

    func testSimilarLeavesTheItemOut() throws {
        let client = try fixture.client()
        for row in [0, 42, 599] {
            let reply = assertOK(try client.call(Requests.similar(item: ServerFixture.itemID(row), k: 5)))
            assertSameRanking(reply.results.hits, fixture.reference(fixture.itemVector(row), k: 5) { $0 != row })
        }
    }

    func testStringIdsReadByTheProjectRule() throws {
        let client = try fixture.client()
        // "1042" is canonical digits: the number 1042 (row 42).
        var request = Requests.similar(item: 0, k: 3)
        request.similar.item = .string("1042")
        let reply = assertOK(try client.call(request))
        assertSameRanking(reply.results.hits, fixture.reference(fixture.itemVector(42), k: 3) { $0 != 42 })
    }

    func testCategoryFilterAndExcludes() throws {
        let client = try fixture.client()
        var filter = Ann_V1_Filter()
        filter.categories = ["c1", "c3"]
        filter.excludeItems = [.number(ServerFixture.itemID(1)), .number(999_999)]
        let query = fixture.userVector(2)
        let reply = assertOK(try client.call(Requests.search(query, k: 20, filter: filter)))
        assertSameRanking(reply.results.hits, fixture.reference(query, k: 20) {
            $0 != 1 && ["c1", "c3"].contains(ServerFixture.category($0))
        })
        var only = Ann_V1_Filter()
        only.onlyItems = [.number(1005), .number(1006)]
        let two = assertOK(try client.call(Requests.search(query, k: 10, filter: only)))
        XCTAssertEqual(Set(two.results.hits.map(\.id.num)), [1005, 1006])
    }

    func testFeaturesReturnedWithHits() throws {
        let client = try fixture.client()
        var request = Requests.similar(item: 1010, k: 3)
        request.similar.features = ["category", "rank", "missing"]
        let reply = assertOK(try client.call(request))
        for hit in reply.results.hits {
            let row = Int(hit.id.num) - 1000
            XCTAssertEqual(hit.features["category"]?.label, ServerFixture.category(row))
            XCTAssertEqual(hit.features["rank"]?.number, Double(row))
            XCTAssertNil(hit.features["missing"])
        }
    }

    func testBatchAnswersEachInOrder() throws {
        let client = try fixture.client()
        var batch = Ann_V1_BatchRequest()
        var a = Requests.search(fixture.userVector(1), k: 3)
        a.requestID = 11
        var b = Requests.similar(item: 424_242, k: 3)
        b.requestID = 12
        var c = Requests.recommend(user: "u4", k: 2)
        c.requestID = 13
        var d = Requests.health
        d.requestID = 14
        batch.requests = [a, b, c, d]
        var request = Ann_V1_Request()
        request.batch = batch
        let replies = assertOK(try client.call(request)).batch.replies
        XCTAssertEqual(replies.map(\.requestID), [11, 12, 13, 14])
        assertSameRanking(replies[0].results.hits, fixture.reference(fixture.userVector(1), k: 3))
        assertError(replies[1], .unknownID, "424242")
        XCTAssertEqual(replies[2].results.hits.count, 2)
        assertError(replies[3], .badRequest, "only search, recommend and similar")
    }

    func testStatsAndHealth() throws {
        let client = try fixture.client()
        let health = assertOK(try client.call(Requests.health)).health
        XCTAssertEqual(health.status, "serving")
        XCTAssertEqual(health.dimension, UInt32(ServerFixture.dimension))
        for _ in 0..<3 { _ = try client.call(Requests.search(fixture.userVector(0), k: 5)) }
        _ = try client.call(Requests.search([1], k: 5))
        let stats = assertOK(try client.call(Requests.stats)).stats
        XCTAssertEqual(stats.items, 600)
        XCTAssertEqual(stats.users, 40)
        XCTAssertEqual(stats.itemVectors, 600)
        XCTAssertEqual(stats.generation, 1)
        XCTAssertEqual(stats.metric, "ip")
        XCTAssertGreaterThan(stats.cpuSeconds, 0)
        XCTAssertLessThanOrEqual(stats.cpuSeconds, ProcessCPU.seconds(), "the test process is the server's")
        let ok = stats.ops.first { $0.op == "search" && $0.status == "ok" }
        XCTAssertEqual(ok?.count, 3)
        XCTAssertEqual(stats.ops.first { $0.op == "search" && $0.status == "DIMENSION_MISMATCH" }?.count, 1)
        XCTAssertEqual(stats.ops.first { $0.op == "health" }?.count, 1)
        XCTAssertGreaterThan(ok?.p99Ms ?? 0, 0)
        XCTAssertEqual(ok?.buckets.reduce(0, +), 3)
        let text = PrometheusFormat.render(stats)
        XCTAssertTrue(text.contains("ann_requests_total{op=\"search\",status=\"ok\"} 3\n"), text)
        XCTAssertTrue(text.contains("ann_request_duration_seconds_bucket{op=\"search\",status=\"ok\",le=\"+Inf\"} 3\n"), text)
        XCTAssertTrue(text.contains("ann_items 600\n"), text)
    }

    func testListensOnSeveralURLsIncludingIPC() throws {
        fixture.tearDownServerOnly()
        let socketPath = fixture.directory + "/ann.sock"
        try fixture.restart { $0.listen = ["tcp://127.0.0.1:0", "ipc://\(socketPath)"] }
        XCTAssertEqual(fixture.server.boundURLs.count, 2)
        XCTAssertFalse(fixture.server.boundURLs[0].hasSuffix(":0"), "the bound port replaces port 0")
        XCTAssertEqual(fixture.server.boundURLs[1], "ipc://\(socketPath)")
        XCTAssertTrue(fixture.server.summary.contains("ipc://\(socketPath)"), fixture.server.summary)
        for url in fixture.server.boundURLs {
            let reply = assertOK(try ServerClient(url: url, timeout: .seconds(5)).call(Requests.similar(item: 1000, k: 3)))
            XCTAssertEqual(reply.results.hits.count, 3, url)
        }
        // (Another store: one LMDB environment must not be opened twice in one process.)
        var taken = ServerConfiguration(storePath: fixture.directory + "/other-store")
        taken.createStore = true
        taken.listen = [fixture.server.boundURLs[0]]
        XCTAssertThrowsError(try AnnServer(configuration: taken)) { error in
            guard case ServerError.listen(let url, let reason)? = error as? ServerError else { return XCTFail("\(error)") }
            XCTAssertEqual(url, fixture.server.boundURLs[0])
            XCTAssertTrue(reason.contains("in use"), reason)
        }
        XCTAssertThrowsError(try AnnServer(configuration: {
            var c = ServerConfiguration(storePath: fixture.storePath + "-none")
            c.listen = ["tcp://127.0.0.1:0"]
            return c
        }()), "no store there")
    }

    func testLocalEndpointAnswersLikeTheServer() throws {
        let viaServer = try fixture.client().call(Requests.recommend(user: "u3", k: 7))
        fixture.tearDownServerOnly()
        let endpoint = try LocalEndpoint(configuration: ServerConfiguration(storePath: fixture.storePath))
        let session = endpoint.makeSession()
        var request = Requests.recommend(user: "u3", k: 7)
        request.requestID = viaServer.requestID
        XCTAssertEqual(session.answer(request), viaServer)
        let bytes = session.answer(bytes: Array(#"{"requestId": "3", "similar": {"item": {"num": "1"}}}"#.utf8))
        let reply = try bytes.withUnsafeBytes { try WireCodec.decodeReply($0) }
        assertError(reply, .unknownID)
        XCTAssertEqual(reply.requestID, 3)
    }

    // MARK: JSON

    /// Sends a JSON text and returns the JSON reply as a dictionary.
    private func json(_ text: String, _ client: ServerClient) throws -> [String: Any] {
        let bytes = try client.exchange(Array(text.utf8))
        XCTAssertEqual(bytes.first, UInt8(ascii: "{"), "a JSON request gets a JSON reply")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any], String(decoding: bytes, as: UTF8.self))
    }

    func testEveryOpInJSON() throws {
        let client = try fixture.client()
        let health = try json(#"{"requestId": "1", "health": {}}"#, client)
        XCTAssertEqual(health["requestId"] as? String, "1")
        XCTAssertEqual((health["health"] as? [String: Any])?["status"] as? String, "serving")

        let vector = fixture.userVector(3).map { "\($0)" }.joined(separator: ",")
        let search = try json(#"{"requestId": 2, "search": {"vector": [\#(vector)], "k": 3}}"#, client)
        let hits = try XCTUnwrap((search["results"] as? [String: Any])?["hits"] as? [[String: Any]])
        let expected = fixture.reference(fixture.userVector(3), k: 3)
        XCTAssertEqual(hits.map { ($0["id"] as? [String: Any])?["num"] as? String },
                       expected.map { String(ServerFixture.itemID($0.row)) })

        let recommend = try json(#"{"requestId": "3", "recommend": {"user": {"str": "u1"}, "k": 2}}"#, client)
        XCTAssertEqual(((recommend["results"] as? [String: Any])?["hits"] as? [Any])?.count, 2)
        let similar = try json(#"{"requestId": "4", "similar": {"item": {"num": 1000}, "k": 2}}"#, client)
        XCTAssertEqual(((similar["results"] as? [String: Any])?["hits"] as? [Any])?.count, 2)
        let batch = try json(#"{"batch": {"requests": [{"requestId": "5", "health": {}}, {"requestId": "6", "similar": {"item": {"num": 1001}, "k": 1}}]}}"#, client)
        let replies = try XCTUnwrap((batch["batch"] as? [String: Any])?["replies"] as? [[String: Any]])
        XCTAssertEqual(replies.map { $0["requestId"] as? String }, ["5", "6"])
        XCTAssertEqual((replies[0]["error"] as? [String: Any])?["code"] as? String, "BAD_REQUEST")

        let upsert = try json(#"{"requestId": "7", "upsert": {"items": [{"id": {"str": "new-item"}, "vector": [1,0,0,0,0,0,0,0], "features": {"category": {"label": "c9"}}}]}}"#, client)
        XCTAssertEqual((upsert["write"] as? [String: Any])?["items"] as? Int, 1)
        let found = try json(#"{"requestId": "8", "search": {"vector": [100,0,0,0,0,0,0,0], "k": 1, "filter": {"categories": ["c9"]}}}"#, client)
        let top = ((found["results"] as? [String: Any])?["hits"] as? [[String: Any]])?.first
        XCTAssertEqual((top?["id"] as? [String: Any])?["str"] as? String, "new-item")
        let delete = try json(#"{"requestId": "9", "delete": {"items": [{"str": "new-item"}]}}"#, client)
        XCTAssertNotNil(delete["write"])
        let stats = try json(#"{"requestId": "10", "stats": {}}"#, client)
        XCTAssertEqual((stats["stats"] as? [String: Any])?["items"] as? String, "601")

        let error = try json(#"{"requestId": "11", "similar": {"item": {"str": "nope"}}}"#, client)
        let e = try XCTUnwrap(error["error"] as? [String: Any])
        XCTAssertEqual(e["code"] as? String, "UNKNOWN_ID")
        XCTAssertEqual(e["message"] as? String, "unknown item id 'nope'")
        XCTAssertNil(error["results"])
    }

    func testBinaryRoundTripOfEveryReplyKind() throws {
        // The client decodes what the server encodes: one of each result kind, binary.
        let client = try fixture.client()
        func kind(_ reply: Ann_V1_Reply) -> String {
            switch reply.result {
            case .results: return "results"
            case .batch: return "batch"
            case .write: return "write"
            case .stats: return "stats"
            case .health: return "health"
            case nil: return "none"
            }
        }
        XCTAssertEqual(kind(assertOK(try client.call(Requests.search(fixture.userVector(0), k: 1)))), "results")
        XCTAssertEqual(kind(assertOK(try client.call(Requests.health))), "health")
        XCTAssertEqual(kind(assertOK(try client.call(Requests.stats))), "stats")
        XCTAssertEqual(kind(assertOK(try client.call(Requests.upsertItem(5000, vector: [Float](repeating: 1, count: 8))))), "write")
        XCTAssertEqual(kind(assertOK(try client.call(Requests.deleteItems([5000])))), "write")
        var batch = Ann_V1_Request()
        batch.batch.requests = [Requests.similar(item: 1000, k: 1)]
        XCTAssertEqual(kind(assertOK(try client.call(batch))), "batch")
        XCTAssertEqual(kind(try client.call(Requests.similar(item: 1))), "none")
    }
}
