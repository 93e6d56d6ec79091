import Store
import VectorIndex
import VectorMath
import XCTest

/// Online insert, update and delete through `IVFUpdater`.
final class IVFUpdateTests: XCTestCase {
    func check(encoding: IVFEncoding) throws {
        let fixture = try IVFTestFixture(count: 6_000, dimension: 16, queryCount: 30, metric: .l2)
        try fixture.build(lists: 30, encoding: encoding)
        let index = try fixture.openIndex()
        let updater = IVFUpdater(index: index)
        let retriever = index.makeRetriever()
        let d = 16

        // Insert: new items are found by their own vector (l2: distance 0 ranks first).
        let added = (0..<20).map { fixture.query($0).map { $0 * 1.01 } }
        let newIDs = (0..<20).map { ExternalID.string("new-\($0)") }
        let rows = try fixture.store.write { w in
            try added.flatMap { $0 }.withUnsafeBufferPointer { try updater.upsert(w, ids: newIDs, vectors: $0) }
        }
        XCTAssertEqual(rows, (6_000 ..< 6_020).map(UInt32.init))
        try fixture.store.read { r in
            for (i, v) in added.enumerated() {
                let found = try retriever.search(r, query: v, parameters: SearchParameters(k: 3, nprobe: 2))
                XCTAssertEqual(found.first?.id, rows[i], "inserted row \(rows[i]) is its own nearest neighbour")
                XCTAssertEqual(found.first?.score ?? -1, 0, accuracy: 1e-4)
            }
            XCTAssertEqual(try index.balance(r).rows, 6_020)
        }

        // Update: an existing item moves to where its new vector lives.
        let moved = UInt32(17)
        let target = added[3].map { $0 + 0.001 }
        try fixture.store.write { w in
            try target.withUnsafeBufferPointer { _ = try updater.upsert(w, ids: [.number(17)], vectors: $0) }
        }
        try fixture.store.read { r in
            let found = try retriever.search(r, query: target, parameters: SearchParameters(k: 2, nprobe: 1))
            XCTAssertEqual(found.first?.id, moved)
            XCTAssertEqual(try r.vector(ofRow: moved, .item), target)
            XCTAssertEqual(try index.balance(r).rows, 6_020, "an update moves a row, it does not copy it")
        }

        // Delete: removed rows are never returned, whatever nprobe, single or batched.
        let removed: [UInt32] = [rows[0], rows[5], moved] + (100 ..< 300).map(UInt32.init)
        try fixture.store.write { w in try updater.remove(w, rows: removed) }
        let gone = Set(removed)
        try fixture.store.read { r in
            XCTAssertNil(try r.vector(ofRow: rows[0], .item))
            XCTAssertEqual(try index.balance(r).rows, 6_020 - removed.count)
            for nprobe in [1, 5, 30] {
                for q in [added[0], added[5], target] + (0..<fixture.queryCount).map(fixture.query) {
                    let found = try retriever.search(r, query: q, parameters: SearchParameters(k: 50, nprobe: nprobe))
                    XCTAssertTrue(found.allSatisfy { !gone.contains($0.id) }, "a removed row came back at nprobe \(nprobe)")
                    XCTAssertEqual(found.count, 50)
                }
                let all = (0..<fixture.queryCount).flatMap(fixture.query)
                let batched = try all.withUnsafeBufferPointer {
                    try retriever.searchBatch(r, queries: $0, parameters: SearchParameters(k: 50, nprobe: nprobe), filter: nil)
                }
                XCTAssertTrue(batched.joined().allSatisfy { !gone.contains($0.id) })
            }
        }
        // Removing again, or rows that were never indexed, changes nothing.
        try fixture.store.write { w in try updater.remove(w, rows: [rows[0], 999_999]) }
        try fixture.store.read { r in XCTAssertEqual(try index.balance(r).rows, 6_020 - removed.count) }
        XCTAssertEqual(d, fixture.dimension)
        // The index still matches exact search closely on the remaining rows.
        let exact = try fixture.exact(k: 10)
        let answers = try fixture.single(retriever, k: 10, nprobe: 30)
        XCTAssertGreaterThanOrEqual(IVFTestFixture.recall(answers, exact), 0.98, "probing every list after updates is exact search")
    }

    func testFloat32() throws { try check(encoding: .float32) }
    func testInt8() throws { try check(encoding: .int8) }

    func testUpdaterRefusesAnotherBuild() throws {
        let fixture = try IVFTestFixture(count: 1_000, dimension: 8, queryCount: 1, metric: .l2)
        try fixture.build(lists: 5)
        let updater = IVFUpdater(index: try fixture.openIndex())
        try fixture.build(lists: 5, retrain: true)
        XCTAssertThrowsError(try fixture.store.write { w in try updater.remove(w, rows: [1]) }) {
            XCTAssertEqual($0 as? IndexError, .indexChanged(.ivf, expectedBuild: 1, got: 2))
        }
    }
}
