import LMDB
import Store
import VectorIndex
import VectorMath
import XCTest

/// Reopening, rebuilding and refusing what does not fit.
final class IVFPersistenceTests: XCTestCase {
    func testReopenGivesIdenticalResults() throws {
        let fixture = try IVFTestFixture(count: 6_000, dimension: 16, queryCount: 40, metric: .innerProduct)
        try fixture.build(lists: 30, encoding: .int8)
        let before = try fixture.single(fixture.openIndex().makeRetriever(), k: 10, nprobe: 4)
        let path = fixture.path
        let reopened = try EmbeddingStore(path: path, readOnly: true)
        let index = try XCTUnwrap(try IndexCatalog.open(reopened) as? IVFSearchIndex, "the catalog opens IVF when it is built")
        XCTAssertEqual(try IndexCatalog.builtKinds(reopened), [.ivf, .flat])
        XCTAssertEqual(index.info.lists, 30)
        XCTAssertEqual(index.info.encoding, .int8)
        XCTAssertEqual(index.info.entries, 6_000)
        let retriever = index.makeRetriever()
        let after = try reopened.read { r in
            try (0..<fixture.queryCount).map { try retriever.search(r, query: fixture.query($0), parameters: SearchParameters(k: 10, nprobe: 4)) }
        }
        XCTAssertEqual(before, after)
    }

    func testRebuildKeepsCentroidsUnlessRetrainAndOldRetrieversNotice() throws {
        let fixture = try IVFTestFixture(count: 5_000, dimension: 16, queryCount: 5, metric: .l2)
        let first = try fixture.build(lists: 25)
        XCTAssertTrue(first.trained)
        XCTAssertEqual(first.info.buildID, 1)
        let centroids = try centroidBytes(fixture)
        let oldIndex = try fixture.openIndex()
        let oldRetriever = oldIndex.makeRetriever()

        let refresh = try fixture.build(lists: 25)
        XCTAssertFalse(refresh.trained, "same nlist, no retrain: the centroids are kept")
        XCTAssertEqual(refresh.info.buildID, 2)
        XCTAssertEqual(try centroidBytes(fixture), centroids)
        XCTAssertThrowsError(try fixture.single(oldRetriever, k: 5, nprobe: 2)) {
            XCTAssertEqual($0 as? IndexError, .indexChanged(.ivf, expectedBuild: 1, got: 2))
        }

        let retrained = try fixture.build(lists: 25, retrain: true, seed: 9)
        XCTAssertTrue(retrained.trained)
        XCTAssertNotEqual(try centroidBytes(fixture), centroids)
        let resized = try fixture.build(lists: 10)
        XCTAssertTrue(resized.trained, "another nlist trains new centroids")
        XCTAssertEqual(try fixture.openIndex().info.lists, 10)
        XCTAssertEqual(resized.balance.rows, 5_000)
    }

    func testSameSeedGivesTheSameIndex() throws {
        let fixture = try IVFTestFixture(count: 4_000, dimension: 16, queryCount: 5, metric: .l2)
        try fixture.build(lists: 20, seed: 3)
        let a = try centroidBytes(fixture)
        try fixture.build(lists: 20, retrain: true, seed: 3)
        XCTAssertEqual(try centroidBytes(fixture), a)
    }

    func testErrors() throws {
        let fixture = try IVFTestFixture(count: 500, dimension: 8, queryCount: 2, metric: .l2)
        XCTAssertThrowsError(try IndexCatalog.open(fixture.store, kind: .ivf)) { XCTAssertEqual($0 as? IndexError, .notBuilt(.ivf)) }
        XCTAssertNil(try IVFSearchIndex.open(fixture.store))
        XCTAssertThrowsError(try fixture.build(lists: 501)) {
            XCTAssertEqual($0 as? IndexError, .invalidParameter(name: "nlist", value: "501", expected: "at most the number of item vectors (500)"))
        }
        XCTAssertThrowsError(try fixture.build(lists: 0)) {
            XCTAssertEqual($0 as? IndexError, .invalidParameter(name: "nlist", value: "0", expected: "1...16777216"))
        }
        try fixture.build(lists: 5)
        let index = try fixture.openIndex()
        let retriever = index.makeRetriever()
        XCTAssertThrowsError(try fixture.store.read { try retriever.search($0, query: [1, 2], parameters: SearchParameters(k: 3)) }) {
            XCTAssertEqual($0 as? IndexError, .dimensionMismatch(expected: 8, got: 2))
        }
        XCTAssertThrowsError(try fixture.store.read { try retriever.search($0, query: fixture.query(0), parameters: SearchParameters(k: 0)) }) {
            XCTAssertEqual($0 as? IndexError, .invalidK(0))
        }
        XCTAssertThrowsError(try fixture.store.read { try retriever.search($0, query: fixture.query(0), parameters: SearchParameters(k: 3, nprobe: 0)) }) {
            XCTAssertEqual($0 as? IndexError, .invalidParameter(name: "nprobe", value: "0", expected: "at least 1"))
        }
        // A layout version this build does not know is refused.
        let tables = try XCTUnwrap(try IVFTables.open(fixture.store, create: false))
        try fixture.store.environment.write { txn in
            try txn.put(KeyCodec.encode(UInt32(99)), forKey: Array("layout_version".utf8), in: tables.meta)
        }
        XCTAssertThrowsError(try IVFSearchIndex.open(fixture.store)) {
            XCTAssertEqual($0 as? IndexError, .layoutVersionMismatch(.ivf, expected: IVFLayout.version, got: 99))
        }
    }

    func testInfoReportNamesStaleIndex() throws {
        let fixture = try IVFTestFixture(count: 2_000, dimension: 8, queryCount: 2, metric: .l2)
        try fixture.build(lists: 10)
        let index = try fixture.openIndex()
        XCTAssertTrue(try fixture.store.read { try index.report($0) }.contains { $0.contains("current (2000 rows in lists)") })
        try fixture.store.write { w in
            try [Float](repeating: 1, count: 8).withUnsafeBufferPointer { _ = try w.upsertVectors(.item, ids: [.string("new")], vectors: $0) }
        }
        let lines = try fixture.store.read { try index.report($0) }
        XCTAssertTrue(lines.contains { $0.contains("the store was written after the index") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.contains("10 lists (0 empty), 2000 rows") }, "\(lines)")
    }

    private func centroidBytes(_ fixture: IVFTestFixture) throws -> [UInt8] {
        let tables = try XCTUnwrap(try IVFTables.open(fixture.store, create: false))
        return try fixture.store.environment.read { txn in
            try XCTUnwrap(try txn.bytes(forKey: Array("centroids".utf8), in: tables.model))
        }
    }
}
