import Store
import VectorIndex
import VectorMath
import XCTest

/// Store writes reaching an IVF index through `SearchIndex.applyWrites` (what the server's
/// writer calls in its write transaction), and surviving a reopen.
final class IVFApplyWritesTests: XCTestCase {
    func check(metric: Metric, encoding: IVFEncoding) throws {
        let fixture = try IVFTestFixture(count: 3_000, dimension: 16, queryCount: 20, metric: metric)
        try fixture.build(lists: 20, encoding: encoding)
        let index: any SearchIndex = try IndexCatalog.open(fixture.store, kind: .ivf)
        let retriever = index.makeRetriever()
        let all = SearchParameters(k: 40, nprobe: 20)

        // Upsert: three new items and a new vector for row 7, written the way the server does
        // (store first, then the index, one transaction).
        let added = (0..<3).map { fixture.query($0).map { $0 * 1.5 + 0.25 } }
        let moved = fixture.query(5).map { $0 - 0.5 }
        let rows = try fixture.store.write { w -> [UInt32] in
            let rows = try (added.flatMap { $0 } + moved).withUnsafeBufferPointer {
                try w.upsertVectors(.item, ids: [.string("a"), .string("b"), .string("c"), .number(7)], vectors: $0)
            }
            try index.applyWrites(upserted: rows, deleted: [], in: w)
            return rows
        }
        XCTAssertEqual(rows, [3_000, 3_001, 3_002, 7])
        let targets = added + [moved]
        func expectFound(_ retriever: any Retriever, _ reader: StoreReader, except: Set<UInt32> = []) throws {
            for (i, v) in targets.enumerated() where !except.contains(rows[i]) {
                let found = try retriever.search(reader, query: v, parameters: SearchParameters(k: 5, nprobe: 1))
                XCTAssertEqual(found.first?.id, rows[i], "upserted row \(rows[i]) is found by its own vector (\(metric), \(encoding))")
            }
        }
        try fixture.store.read { r in
            try expectFound(retriever, r)
            XCTAssertEqual(try (index as! IVFSearchIndex).balance(r).rows, 3_003, "row 7 moved, it was not copied")
        }

        // Delete: rows whose vectors the write removed are never returned, single or batched.
        let deleted: [UInt32] = [rows[1], 11, 12, 13] + (200 ..< 260).map(UInt32.init)
        try fixture.store.write { w in
            for row in deleted { try w.removeVector(row: row, .item) }
            try index.applyWrites(upserted: [], deleted: deleted, in: w)
        }
        let gone = Set(deleted)
        let queries = targets + (0..<fixture.queryCount).map(fixture.query)
        func expectGone(_ retriever: any Retriever, _ reader: StoreReader) throws -> [[ScoredID]] {
            let single = try queries.map { try retriever.search(reader, query: $0, parameters: all) }
            let batched = try queries.flatMap { $0 }.withUnsafeBufferPointer {
                try retriever.searchBatch(reader, queries: $0, parameters: all, filter: nil)
            }
            XCTAssertEqual(single.map { $0.map(\.id) }, batched.map { $0.map(\.id) }, "batched and single agree")
            for answer in single {
                XCTAssertEqual(answer.count, 40)
                XCTAssertTrue(answer.allSatisfy { !gone.contains($0.id) }, "a deleted row came back (\(metric), \(encoding))")
            }
            return single
        }
        let before = try fixture.store.read { r -> [[ScoredID]] in
            XCTAssertEqual(try (index as! IVFSearchIndex).balance(r).rows, 3_003 - deleted.count)
            return try expectGone(retriever, r)
        }
        // Probing every list is exact search over what is left.
        let exact = try fixture.store.read { r in
            let flat = FlatSearchIndex(meta: try r.meta()).makeRetriever()
            return try queries.map { try flat.search(r, query: $0, parameters: SearchParameters(k: 10)).map(\.id) }
        }
        XCTAssertGreaterThanOrEqual(IVFTestFixture.recall(before, exact), 0.99)

        // Reopen: the index read back from the environment answers the same.
        let reopened = try EmbeddingStore(path: fixture.path, readOnly: true)
        let again = try IndexCatalog.open(reopened, kind: .ivf)
        XCTAssertEqual((again as? IVFSearchIndex)?.info.entries, 3_003 - deleted.count)
        let after = try reopened.read { r -> [[ScoredID]] in
            let retriever = again.makeRetriever()
            try expectFound(retriever, r, except: gone)
            return try expectGone(retriever, r)
        }
        XCTAssertEqual(after, before)
    }

    func testL2Float32() throws { try check(metric: .l2, encoding: .float32) }
    func testL2Int8() throws { try check(metric: .l2, encoding: .int8) }
    func testCosineFloat32() throws { try check(metric: .cosine, encoding: .float32) }
    func testCosineInt8() throws { try check(metric: .cosine, encoding: .int8) }
}
