import Foundation
import Server
import Wire
import XCTest

/// Online writes through the single writer: queries answered after a write's reply see it.
final class WriteTests: XCTestCase {
    var fixture: ServerFixture!

    override func setUpWithError() throws {
        fixture = try ServerFixture()
    }

    override func tearDown() {
        fixture?.tearDown()
    }

    /// A vector far from everything in the fixture, along axis `axis`.
    private func spike(_ axis: Int, _ size: Float = 50) -> [Float] {
        var v = [Float](repeating: 0, count: ServerFixture.dimension)
        v[axis % ServerFixture.dimension] = size
        return v
    }

    func testUpsertThenSearchSeesTheNewItem() throws {
        let client = try fixture.client()
        for i in 0..<20 {
            let id = UInt64(50_000 + i)
            let vector = spike(i, 100 + Float(i))
            let write = assertOK(try client.call(Requests.upsertItem(id, vector: vector, category: "fresh"))).write
            XCTAssertEqual(write.items, 1)
            XCTAssertEqual(write.writeSequence, UInt64(2 + i), "the fixture's import was write 1")
            // The very next request, on whichever worker, sees the committed write.
            let hits = assertOK(try client.call(Requests.search(vector, k: 1))).results.hits
            XCTAssertEqual(hits.first?.id.num, id, "write \(i)")
        }
        var filter = Ann_V1_Filter()
        filter.categories = ["fresh"]
        let fresh = assertOK(try client.call(Requests.search(spike(0), k: 50, filter: filter))).results.hits
        XCTAssertEqual(Set(fresh.map(\.id.num)), Set((0..<20).map { UInt64(50_000 + $0) }))
    }

    /// Filters and the ranking stage see a write's categories and new rows at once: the category
    /// bitmaps and the ranking catalogue are patched from the store's change log, not reloaded.
    func testCategoryChangesReachFiltersAndRankingAtOnce() throws {
        let client = try fixture.client()
        let taste = fixture.userVector(0)
        func recommend(_ category: String) throws -> [UInt64] {
            var r = Requests.recommend(user: ServerFixture.userID(0), k: 5)
            r.recommend.filter.categories = [category]
            return assertOK(try client.call(r)).results.hits.map(\.id.num)
        }
        func search(_ category: String) throws -> [UInt64] {
            var filter = Ann_V1_Filter()
            filter.categories = [category]
            return assertOK(try client.call(Requests.search(taste, k: 700, filter: filter))).results.hits.map(\.id.num)
        }
        let old = ServerFixture.category(5)
        XCTAssert(try search(old).contains(1005))  // caches built before the writes
        _ = try recommend(old)
        // A new item along the user's taste, in a new category: the best answer within it.
        assertOK(try client.call(Requests.upsertItem(70_000, vector: taste.map { $0 * 3 }, category: "fresh")))
        XCTAssertEqual(try recommend("fresh"), [70_000])
        XCTAssertEqual(try search("fresh"), [70_000])
        // An existing item moves to that category; the new one moves out of it.
        assertOK(try client.call(Requests.upsertItem(1005, vector: fixture.itemVector(5), category: "fresh")))
        assertOK(try client.call(Requests.upsertItem(70_000, vector: taste.map { $0 * 3 }, category: old)))
        XCTAssertEqual(try recommend("fresh"), [1005])
        XCTAssertEqual(try search("fresh"), [1005])
        XCTAssertFalse(try search(old).contains(1005))
        XCTAssertEqual(try recommend(old).first, 70_000)
    }

    func testUpdateMovesAnExistingItem() throws {
        let client = try fixture.client()
        assertOK(try client.call(Requests.upsertItem(1007, vector: spike(2, 80))))
        XCTAssertEqual(assertOK(try client.call(Requests.search(spike(2), k: 1))).results.hits.first?.id.num, 1007)
        XCTAssertEqual(assertOK(try client.call(Requests.stats)).stats.items, 600, "no new row")
        // One id twice in one upsert is one item, the last record winning.
        var twice = Requests.upsertItem(1008, vector: spike(3, 70))
        twice.upsert.items.append(Requests.upsertItem(1008, vector: spike(4, 90)).upsert.items[0])
        XCTAssertEqual(assertOK(try client.call(twice)).write.items, 1)
        XCTAssertEqual(assertOK(try client.call(Requests.search(spike(4), k: 1))).results.hits.first?.id.num, 1008)
    }

    func testDeletedItemIsNeverReturned() throws {
        let client = try fixture.client()
        let victims: [UInt64] = [1000, 1001, 1002, 1010]
        // Before: each is its own nearest neighbour's neighbour; after: gone everywhere.
        assertOK(try client.call(Requests.deleteItems(victims)))
        for q in 0..<40 {
            let query = fixture.userVector(q)
            let hits = assertOK(try client.call(Requests.search(query, k: 50))).results.hits
            XCTAssertTrue(Set(hits.map(\.id.num)).isDisjoint(with: victims), "query \(q)")
            assertSameRanking(hits, fixture.reference(query, k: 50) { !victims.contains(ServerFixture.itemID($0)) })
        }
        for row in [0, 1, 2, 10] {
            let self_ = assertOK(try client.call(Requests.search(fixture.itemVector(row), k: 600))).results.hits
            XCTAssertFalse(self_.contains { $0.id.num == ServerFixture.itemID(row) })
            XCTAssertEqual(self_.count, 596)
        }
        XCTAssertEqual(assertOK(try client.call(Requests.stats)).stats.itemVectors, 596)
        assertOK(try client.call(Requests.upsertItem(1000, vector: spike(1, 90))))
        XCTAssertEqual(assertOK(try client.call(Requests.search(spike(1), k: 1))).results.hits.first?.id.num, 1000,
                       "an upsert brings a deleted item back")
    }

    func testUpsertUsersAndHistories() throws {
        let client = try fixture.client()
        var upsert = Ann_V1_UpsertRequest()
        var user = Ann_V1_Record()
        user.id = .string("newcomer")
        user.vector = fixture.itemVector(5)
        var segment = Ann_V1_Feature()
        segment.label = "s1"
        user.features["segment"] = segment
        upsert.users = [user]
        var history = Ann_V1_History()
        history.user = .string("newcomer")
        let top = fixture.reference(fixture.itemVector(5), k: 3).map(\.row)
        history.interactions = top.map { row in
            var i = Ann_V1_Interaction()
            i.item = .number(ServerFixture.itemID(row))
            i.time = 1_700_000_000
            return i
        }
        upsert.histories = [history]
        var request = Ann_V1_Request()
        request.upsert = upsert
        let write = assertOK(try client.call(request)).write
        XCTAssertEqual(write.users, 1)
        XCTAssertEqual(write.histories, 1)
        let hits = assertOK(try client.call(Requests.recommend(user: "newcomer", k: 5))).results.hits
        let seen = Set(top)
        assertSameRanking(hits, fixture.reference(fixture.itemVector(5), k: 5) { !seen.contains($0) })
        XCTAssertEqual(assertOK(try client.call(Requests.stats)).stats.users, 41)
    }

    func testFailedWriteLeavesTheStoreAsItWas() throws {
        let client = try fixture.client()
        var upsert = Ann_V1_UpsertRequest()
        var good = Ann_V1_Record()
        good.id = .number(70_000)
        good.vector = spike(3)
        var bad = Ann_V1_Record()
        bad.id = .number(70_001)
        bad.vector = [1, 2]
        upsert.items = [good, bad]
        var request = Ann_V1_Request()
        request.upsert = upsert
        assertError(try client.call(request), .dimensionMismatch)
        let stats = assertOK(try client.call(Requests.stats)).stats
        XCTAssertEqual(stats.items, 600)
        XCTAssertEqual(stats.writeSequence, 1)
        assertError(try client.call(Requests.similar(item: 70_000)), .unknownID)
    }
}
