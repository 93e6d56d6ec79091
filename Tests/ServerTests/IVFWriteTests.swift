import Foundation
import Server
import Store
import VectorIndex
import Wire
import XCTest

/// Upserts and deletes through a real server over an IVF store: the writer files them in the
/// lists in its own transaction, so the next query sees them, and a restart keeps them.
final class IVFWriteTests: XCTestCase {
    var fixture: ServerFixture!

    override func setUpWithError() throws {
        fixture = try ServerFixture()
        fixture.tearDownServerOnly()
        do {
            let store = try EmbeddingStore(path: fixture.storePath)
            _ = try IVFBuilder.build(store, parameters: IVFBuildParameters(lists: 8, nprobe: 3))
        }
        try fixture.restart { $0.indexKind = .ivf }
    }

    override func tearDown() {
        fixture?.tearDown()
    }

    private func spike(_ axis: Int, _ size: Float) -> [Float] {
        var v = [Float](repeating: 0, count: ServerFixture.dimension)
        v[axis % ServerFixture.dimension] = size
        return v
    }

    func testWritesReachTheIVFListsAndSurviveARestart() throws {
        var client = try fixture.client()
        XCTAssertTrue(assertOK(try client.call(Requests.stats)).stats.index.hasPrefix("ivf"), "the server serves the IVF index")
        let added = (0..<6).map { (id: UInt64(50_000 + $0), vector: spike($0, 100 + Float($0))) }
        for item in added {
            assertOK(try client.call(Requests.upsertItem(item.id, vector: item.vector)))
            XCTAssertEqual(assertOK(try client.call(Requests.search(item.vector, k: 1))).results.hits.first?.id.num, item.id)
        }
        let victims: [UInt64] = [1000, 1001, 1002, 1010, added[2].id]
        assertOK(try client.call(Requests.deleteItems(victims)))
        let live = 600 + added.count - victims.count

        func check(_ client: ServerClient) throws {
            for item in added where !victims.contains(item.id) {
                XCTAssertEqual(assertOK(try client.call(Requests.search(item.vector, k: 1))).results.hits.first?.id.num, item.id)
            }
            for q in 0..<10 {
                var request = Requests.search(fixture.userVector(q), k: 700)
                request.search.nprobe = 8
                let hits = assertOK(try client.call(request)).results.hits
                XCTAssertEqual(hits.count, live, "probing every list returns every live item once")
                XCTAssertTrue(Set(hits.map(\.id.num)).isDisjoint(with: victims), "a deleted item came back (query \(q))")
            }
        }
        try check(client)

        // The lists on disk hold exactly the live items; a restarted server answers the same.
        fixture.tearDownServerOnly()
        do {
            let store = try EmbeddingStore(path: fixture.storePath)
            let index = try XCTUnwrap(try IVFSearchIndex.open(store))
            try store.read { r in
                XCTAssertEqual(try index.balance(r).rows, live)
                XCTAssertTrue(try index.report(r).contains { $0.hasPrefix("ivf state        current") }, "every write went through the index")
            }
        }
        try fixture.restart { $0.indexKind = .ivf }
        client = try fixture.client()
        try check(client)
    }
}
