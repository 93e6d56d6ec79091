import Foundation
import Server
import Wire
import XCTest

/// The first upsert into an empty store (`annctl serve --create`) fixes its dimension and
/// metric. User vectors alone used to fix the metric to ip without a word; now such an
/// upsert must name it, and item vectors still default to ip.
final class FirstWriteTests: XCTestCase {
    var fixture: ServerFixture!

    override func setUpWithError() throws {
        fixture = try ServerFixture(empty: true)
    }

    override func tearDown() {
        fixture?.tearDown()
    }

    private func record(_ id: Ann_V1_Id, _ vector: [Float]) -> Ann_V1_Record {
        var r = Ann_V1_Record()
        r.id = id
        r.vector = vector
        return r
    }

    private func json(_ text: String, _ client: ServerClient) throws -> Ann_V1_Reply {
        let bytes = try client.exchange(Array(text.utf8))
        return try bytes.withUnsafeBytes { try WireCodec.decodeReply($0) }
    }

    func testUsersOnlyFirstUpsertMustNameTheMetric() throws {
        let client = try fixture.client()
        var users = Ann_V1_Request()
        users.upsert.users = [record(.string("u1"), [3, 4, 0, 0])]
        assertError(try client.call(users), .badRequest, "upsert.metric missing")
        assertError(try json(#"{"upsert": {"users": [{"id": {"str": "u1"}, "vector": [3, 4, 0, 0]}]}}"#, client),
                    .badRequest, "upsert.metric missing")
        // Features without vectors beside them do not change that.
        var withItemFeatures = users
        var label = Ann_V1_Feature()
        label.label = "c1"
        var item = Ann_V1_Record()
        item.id = .number(9)
        item.features["category"] = label
        withItemFeatures.upsert.items = [item]
        assertError(try client.call(withItemFeatures), .badRequest, "upsert.metric missing")
        let before = assertOK(try client.call(Requests.stats)).stats
        XCTAssertEqual(before.writeSequence, 0, "nothing was written")
        XCTAssertEqual(before.metric, "")

        users.upsert.metric = "cosine"
        XCTAssertEqual(assertOK(try client.call(users)).write.users, 1)
        XCTAssertEqual(assertOK(try client.call(Requests.stats)).stats.metric, "cosine")
        // Items written later without a metric are searched by the store's metric.
        assertOK(try client.call(Requests.upsertItem(1, vector: [1, 0, 0, 0])))
        assertOK(try client.call(Requests.upsertItem(2, vector: [0, 10, 0, 0])))
        let hits = assertOK(try client.call(Requests.recommend(user: "u1", k: 2))).results.hits
        XCTAssertEqual(hits.map(\.id.num), [2, 1])
        XCTAssertEqual(hits[0].score, 0.8, accuracy: 1e-5, "cosine of (3, 4) and (0, 10)")
        var otherMetric = Requests.upsertItem(3, vector: [0, 0, 1, 0])
        otherMetric.upsert.metric = "ip"
        assertError(try client.call(otherMetric), .badRequest, "metric")
    }

    func testItemVectorsDefaultToInnerProduct() throws {
        let client = try fixture.client()
        var both = Ann_V1_Request()
        both.upsert.users = [record(.string("u1"), [3, 4, 0, 0])]
        both.upsert.items = [record(.number(1), [1, 0, 0, 0]), record(.number(2), [0, 10, 0, 0])]
        assertOK(try client.call(both))
        XCTAssertEqual(assertOK(try client.call(Requests.stats)).stats.metric, "ip")
        let hits = assertOK(try client.call(Requests.recommend(user: "u1", k: 2))).results.hits
        XCTAssertEqual(hits.map(\.score), [40, 3])
    }
}
