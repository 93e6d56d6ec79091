import Foundation
import Server
import Wire
import XCTest

/// Upsert features named by columns the store does not know: the store creates the column
/// (kind of its first value), and the reply now says so (`new_item_columns`,
/// `new_user_columns`), in binary and JSON, so a typo of an existing name is seen.
final class FeatureColumnWriteTests: XCTestCase {
    var fixture: ServerFixture!

    override func setUpWithError() throws {
        fixture = try ServerFixture()
    }

    override func tearDown() {
        fixture?.tearDown()
    }

    private func label(_ text: String) -> Ann_V1_Feature {
        var f = Ann_V1_Feature()
        f.label = text
        return f
    }

    private func upsert(item: UInt64, _ features: [String: Ann_V1_Feature]) -> Ann_V1_Request {
        var record = Ann_V1_Record()
        record.id = .number(item)
        record.features = features
        var r = Ann_V1_Request()
        r.upsert.items = [record]
        return r
    }

    func testTheReplyNamesTheColumnsAWriteCreated() throws {
        let client = try fixture.client()
        var first = upsert(item: 1005, ["category": label("c9"), "colour": label("red"), "brand": label("acme")])
        var user = Ann_V1_Record()
        user.id = .string("u1")
        user.features = ["segment": label("s1")]
        first.upsert.users = [user]
        let write = assertOK(try client.call(first)).write
        XCTAssertEqual(write.newItemColumns, ["brand", "colour"], "category is the fixture's column")
        XCTAssertEqual(write.newUserColumns, ["segment"])
        XCTAssertEqual(fixture.log.count(containing: "created item feature columns: brand, colour"), 1)

        // The new column is a column like the others: returned with hits, filtered on.
        var filter = Ann_V1_Filter()
        filter.categories = ["red"]
        filter.categoryColumn = "colour"
        var search = Requests.search(fixture.itemVector(5), k: 5, filter: filter)
        search.search.features = ["colour"]
        let hits = assertOK(try client.call(search)).results.hits
        XCTAssertEqual(hits.map(\.id.num), [1005])
        XCTAssertEqual(hits.first?.features["colour"]?.label, "red")

        // Known columns again: nothing new. Vectors only: nothing new.
        let again = assertOK(try client.call(upsert(item: 1006, ["colour": label("blue"), "category": label("c1")]))).write
        XCTAssertEqual(again.newItemColumns, [])
        XCTAssertEqual(assertOK(try client.call(Requests.upsertItem(7000, vector: fixture.itemVector(1)))).write.newItemColumns, [])
    }

    func testAFailedWriteCreatesNoColumnAndJSONSaysTheSame() throws {
        let client = try fixture.client()
        var number = Ann_V1_Feature()
        number.number = 3
        // "category" is categorical in the store: the whole write is refused, "size" with it.
        assertError(try client.call(upsert(item: 1005, ["size": number, "category": number])), .badRequest, "category")
        let bytes = try client.exchange(Array(#"{"upsert": {"items": [{"id": {"num": "1005"}, "features": {"size": {"number": 3}}}]}}"#.utf8))
        let reply = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let write = try XCTUnwrap(reply["write"] as? [String: Any], "\(reply)")
        XCTAssertEqual(write["newItemColumns"] as? [String], ["size"], "the failed write created nothing")
        XCTAssertNil(write["newUserColumns"], "empty lists are left out of JSON")
    }
}
