import LMDB
import Store
import VectorMath
import XCTest
@testable import VectorIndex

/// The in-memory copy of the posting lists (`IVFResidentLists`): it answers as the store does,
/// follows committed writes list by list, ignores aborted ones, and leaves older snapshots their
/// own lists.
final class IVFResidentListsTests: XCTestCase {
    struct Failure: Error {}

    /// Single and batched answers of `retriever` for every query of `fixture` in `reader`'s
    /// snapshot, checked equal to each other.
    func answers(_ retriever: any Retriever, _ fixture: IVFTestFixture, _ reader: StoreReader, extra: [[Float]] = [],
                 nprobe: Int = 4, file: StaticString = #filePath, line: UInt = #line) throws -> [[ScoredID]] {
        let queries = extra + (0..<fixture.queryCount).map(fixture.query)
        let parameters = SearchParameters(k: 10, nprobe: nprobe)
        let single = try queries.map { try retriever.search(reader, query: $0, parameters: parameters) }
        let batched = try queries.flatMap { $0 }.withUnsafeBufferPointer {
            try retriever.searchBatch(reader, queries: $0, parameters: parameters, filter: nil)
        }
        XCTAssertEqual(single, batched, "batched and single answers agree", file: file, line: line)
        return single
    }

    /// The copy answers exactly as the lists read from the store (an index opened without
    /// preloading), at open, after committed upserts and deletes, after an aborted write, and
    /// after reopening the store.
    func check(metric: Metric, encoding: IVFEncoding) throws {
        let fixture = try IVFTestFixture(count: 3_000, dimension: 16, queryCount: 25, metric: metric)
        try fixture.build(lists: 20, encoding: encoding)
        let index = try fixture.openIndex()
        let fromStore = try XCTUnwrap(try IVFSearchIndex.open(fixture.store, preload: false))
        XCTAssertEqual(index.residentSequences.count, 1, "open copies the lists")
        XCTAssertEqual(fromStore.residentSequences, [], "without preloading nothing is copied")
        let resident = index.makeRetriever() as! IVFRetriever
        let mapped = fromStore.makeRetriever() as! IVFRetriever
        func compare(_ what: String, extra: [[Float]] = []) throws -> [[ScoredID]] {
            try fixture.store.read { r in
                let a = try answers(resident, fixture, r, extra: extra)
                XCTAssertNotNil(resident.scannedResidentSequence, "\(what): the copy was scanned")
                let b = try answers(mapped, fixture, r, extra: extra)
                XCTAssertNil(mapped.scannedResidentSequence, "\(what): the store was scanned")
                XCTAssertEqual(a, b, "\(what): the copy answers as the store (\(metric), \(encoding))")
                XCTAssertEqual(try answers(resident, fixture, r, extra: extra, nprobe: 20),
                               try answers(mapped, fixture, r, extra: extra, nprobe: 20), "\(what): every list")
                return a
            }
        }
        let opened = try compare("at open")
        let start = try XCTUnwrap(resident.scannedResidentSequence)

        // Committed upserts (new rows, a moved row) and deletes.
        let added = (0..<4).map { fixture.query($0).map { $0 * 1.2 + 0.1 } }
        let rows = try fixture.store.write { w -> [UInt32] in
            let rows = try added.flatMap { $0 }.withUnsafeBufferPointer {
                try w.upsertVectors(.item, ids: (0..<4).map { .string("new-\($0)") }, vectors: $0)
            }
            try index.applyWrites(upserted: rows, deleted: [], in: w)
            return rows
        }
        let upserted = try compare("after upserts", extra: added)
        if metric != .innerProduct {
            for (i, answer) in upserted.prefix(4).enumerated() { XCTAssertEqual(answer.first?.id, rows[i], "an upserted row is found") }
        }
        let afterUpsert = try XCTUnwrap(resident.scannedResidentSequence)
        XCTAssertGreaterThan(afterUpsert, start, "the committed write is scanned from a new copy")

        let deleted = Set(opened.flatMap { $0.prefix(2).map(\.id) } + [rows[1]])
        try fixture.store.write { w in
            for row in deleted { try w.removeVector(row: row, .item) }
            try index.applyWrites(upserted: [], deleted: Array(deleted), in: w)
        }
        let afterDelete = try compare("after deletes", extra: added)
        XCTAssertTrue(afterDelete.joined().allSatisfy { !deleted.contains($0.id) }, "a deleted row came back")

        // An aborted write stages a copy for the sequence the next commit will carry: it must
        // never be used, and the next write must start from the committed lists.
        let ghost = fixture.query(7).map { $0 * 0.9 - 0.2 }
        XCTAssertThrowsError(try fixture.store.write { w in
            let r = try ghost.withUnsafeBufferPointer { try w.upsertVectors(.item, ids: [.string("ghost")], vectors: $0) }
            try index.applyWrites(upserted: r, deleted: [rows[0]], in: w)
            throw Failure()
        })
        XCTAssertEqual(try compare("after an aborted write", extra: added), afterDelete)
        let kept = fixture.query(9).map { $0 + 0.05 }
        let keptRow = try fixture.store.write { w -> UInt32 in
            let r = try kept.withUnsafeBufferPointer { try w.upsertVectors(.item, ids: [.string("kept")], vectors: $0) }
            try index.applyWrites(upserted: r, deleted: [], in: w)
            return r[0]
        }
        let final = try compare("after the write that followed the aborted one", extra: added + [ghost, kept])
        if metric != .innerProduct {
            XCTAssertEqual(final[5].first?.id, keptRow)
            XCTAssertEqual(final[0].first?.id, rows[0], "the aborted delete did not happen")
        }
        try fixture.store.read { r in
            XCTAssertEqual(try index.balance(r).rows, 3_000 + 4 - deleted.count + 1, "the aborted insert did not happen")
        }

        // Reopened: a fresh copy of the committed lists answers the same.
        let reopened = try EmbeddingStore(path: fixture.path, readOnly: true)
        let again = try XCTUnwrap(try IVFSearchIndex.open(reopened))
        let retriever = again.makeRetriever() as! IVFRetriever
        let after = try reopened.read { try answers(retriever, fixture, $0, extra: added + [ghost, kept]) }
        XCTAssertNotNil(retriever.scannedResidentSequence)
        XCTAssertEqual(after, final, "reopen gives identical results")
    }

    func testL2Float32() throws { try check(metric: .l2, encoding: .float32) }
    func testL2Int8() throws { try check(metric: .l2, encoding: .int8) }
    func testInnerProductFloat32() throws { try check(metric: .innerProduct, encoding: .float32) }

    /// A reader holding a snapshot from before a write keeps scanning the lists of its
    /// snapshot while the write commits and after; the old copy is freed once no reader uses it.
    func testOldSnapshotKeepsOldLists() throws {
        let fixture = try IVFTestFixture(count: 3_000, dimension: 16, queryCount: 20, metric: .l2)
        try fixture.build(lists: 20)
        let index = try fixture.openIndex()
        let fromStore = try XCTUnwrap(try IVFSearchIndex.open(fixture.store, preload: false))
        let old = try fixture.store.beginSnapshot()
        defer { old.abort() }
        let oldReader = fixture.store.reader(on: old)
        let holder = index.makeRetriever() as! IVFRetriever
        let before = try answers(holder, fixture, oldReader)
        let oldSequence = try XCTUnwrap(holder.scannedResidentSequence)

        // Delete every row the old answers hold and add a row next to each query, committed
        // while the old snapshot is open.
        let gone = Set(before.joined().map(\.id))
        let near = (0..<fixture.queryCount).map { fixture.query($0).map { $0 + 0.001 } }
        let added = try fixture.store.write { w -> [UInt32] in
            for row in gone { try w.removeVector(row: row, .item) }
            let rows = try near.flatMap { $0 }.withUnsafeBufferPointer {
                try w.upsertVectors(.item, ids: (0..<near.count).map { .string("near-\($0)") }, vectors: $0)
            }
            // The writer's own queries read its uncommitted lists from the transaction.
            try index.applyWrites(upserted: rows, deleted: Array(gone), in: w)
            let inWrite = index.makeRetriever() as! IVFRetriever
            let seen = try answers(inWrite, fixture, w.store.reader(on: w.transaction))
            XCTAssertNil(inWrite.scannedResidentSequence, "a write transaction's queries do not use a copy")
            XCTAssertEqual(seen.map { $0.first?.id }, rows.map { Optional($0) })
            return rows
        }
        let fresh = index.makeRetriever() as! IVFRetriever
        let now = try fixture.store.read { try answers(fresh, fixture, $0) }
        XCTAssertEqual(now.map { $0.first?.id }, added.map { Optional($0) }, "new snapshots see the write")
        XCTAssertTrue(now.joined().allSatisfy { !gone.contains($0.id) })
        XCTAssertNotEqual(fresh.scannedResidentSequence, oldSequence)

        // The old snapshot: the same answers from its own copy, by the retriever that held it,
        // by a new one (the index keeps recent states), and from the store.
        XCTAssertEqual(try answers(holder, fixture, oldReader), before)
        XCTAssertEqual(holder.scannedResidentSequence, oldSequence)
        let other = index.makeRetriever() as! IVFRetriever
        XCTAssertEqual(try answers(other, fixture, oldReader), before)
        XCTAssertEqual(other.scannedResidentSequence, oldSequence)
        XCTAssertEqual(try answers(fromStore.makeRetriever(), fixture, oldReader), before)

        // Once the retrievers move on and more writes push the old state out, its copy is freed.
        weak let oldCopy = holder.lastLists
        XCTAssertNotNil(oldCopy)
        for i in 0 ..< IVFResidentStates.kept {
            try fixture.store.write { w in
                let r = try fixture.query(i).withUnsafeBufferPointer { try w.upsertVectors(.item, ids: [.string("more-\(i)")], vectors: $0) }
                try index.applyWrites(upserted: r, deleted: [], in: w)
            }
            try fixture.store.read { r in
                for retriever in [holder, other, fresh] { _ = try answers(retriever, fixture, r) }
            }
        }
        XCTAssertFalse(index.residentSequences.contains(oldSequence))
        XCTAssertNil(oldCopy, "no reader holds the old state: its copy is released")
        XCTAssertEqual(try answers(other, fixture, oldReader), before, "an old snapshot without a copy reads its lists from the store")
        XCTAssertNil(other.scannedResidentSequence)
    }
}
