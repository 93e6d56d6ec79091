import Foundation
import Server
import Wire
import XCTest

/// `session.items` of recommend and similar: they shape the query vector, so an id the store
/// does not know is UNKNOWN_ID (it was dropped without a word), in binary and JSON, with and
/// without the ranking stage; a deleted item is taken and stays left out.
final class SessionItemTests: XCTestCase {
    var fixture: ServerFixture!

    override func tearDown() {
        fixture?.tearDown()
    }

    private func recommend(_ user: String, session: [UInt64]) -> Ann_V1_Request {
        var r = Requests.recommend(user: user, k: 20)
        r.recommend.session.items = session.map { .number($0) }
        return r
    }

    private func similar(_ item: UInt64, session: [UInt64]) -> Ann_V1_Request {
        var r = Requests.similar(item: item, k: 20)
        r.similar.session.items = session.map { .number($0) }
        return r
    }

    /// The reply to a JSON request, decoded.
    private func json(_ text: String, _ client: ServerClient) throws -> Ann_V1_Reply {
        let bytes = try client.exchange(Array(text.utf8))
        XCTAssertEqual(bytes.first, UInt8(ascii: "{"), "a JSON request gets a JSON reply")
        return try bytes.withUnsafeBytes { try WireCodec.decodeReply($0) }
    }

    private func check(_ handler: any RecommendHandler, _ name: String) throws {
        fixture?.tearDown()
        fixture = try ServerFixture { $0.recommendHandler = handler }
        let client = try fixture.client()
        assertError(try client.call(recommend("u1", session: [1005, 424_242])), .unknownID, "unknown item id '424242'")
        assertError(try client.call(similar(1000, session: [424_243])), .unknownID, "unknown item id '424243'")
        assertError(try json(#"{"recommend": {"user": {"str": "u1"}, "session": {"items": [{"num": "1005"}, {"str": "nope"}]}}}"#, client),
                    .unknownID, "unknown item id 'nope'")
        assertError(try json(#"{"similar": {"item": {"num": "1000"}, "session": {"items": [{"str": "nope"}]}}}"#, client),
                    .unknownID, "unknown item id 'nope'")

        // Known items: answered, and left out of the answer; a deleted one is taken too.
        let known = assertOK(try client.call(recommend("u1", session: [1005, 1006]))).results.hits.map(\.id.num)
        XCTAssertEqual(known.count, 20, name)
        XCTAssertFalse(known.contains(1005) || known.contains(1006), "\(name): session items are left out")
        assertOK(try client.call(Requests.deleteItems([1007])))
        assertOK(try client.call(recommend("u1", session: [1007])))
        assertOK(try json(#"{"similar": {"item": {"num": "1000"}, "session": {"items": [{"num": "1007"}]}}}"#, client))
        // Ids to leave out stay lenient: an unknown one cannot be returned anyway.
        var exclude = Requests.recommend(user: "u1")
        exclude.recommend.filter.excludeItems = [.number(424_242)]
        assertOK(try client.call(exclude))
    }

    func testUnknownSessionItemsWithoutRankingStage() throws {
        try check(RetrievalOnlyRecommender(), "retrieval only")
    }

    func testUnknownSessionItemsWithRankingStage() throws {
        try check(RankingRecommender(), "ranking stage")
    }
}
