import LMDB
import Store
import VectorMath
import XCTest
@testable import VectorIndex

/// Screening float32 lists by their residual codes (`IVFListScreen`): single queries answer
/// exactly as a full float32 scan (ids and scores), with a filter too, after online writes
/// whose residuals fall outside the quantizer's range (clipped lists), and the screen keeps
/// most rows away from the float32 re-score.
final class IVFListScreenTests: XCTestCase {
    func answers(_ retriever: IVFRetriever, _ fixture: IVFTestFixture, queries: [[Float]], k: Int, nprobe: Int,
                 filter: SearchFilter? = nil) throws -> [[ScoredID]] {
        try fixture.store.read { r in
            try queries.map { try retriever.search(r, query: $0, parameters: SearchParameters(k: k, nprobe: nprobe), filter: filter) }
        }
    }

    func check(metric: Metric, dimension d: Int = 36) throws {
        let fixture = try IVFTestFixture(count: 20_000, dimension: d, queryCount: 60, metric: metric)
        try fixture.build(lists: 50)
        let index = try fixture.openIndex()
        let screened = index.makeRetriever() as! IVFRetriever
        let full = index.makeRetriever() as! IVFRetriever
        full.screensLists = false
        var queries = (0..<fixture.queryCount).map(fixture.query)
        // Rows themselves as queries: exact ties at distance 0 and near-duplicates.
        queries += (0..<10).map { Array(fixture.data[$0 * 97 * d ..< ($0 * 97 + 1) * d]) }
        for (k, nprobe) in [(1, 1), (10, 4), (10, 12), (50, 8)] {
            let a = try answers(screened, fixture, queries: queries, k: k, nprobe: nprobe)
            let b = try answers(full, fixture, queries: queries, k: k, nprobe: nprobe)
            XCTAssertEqual(a, b, "\(metric) k \(k) nprobe \(nprobe): screened answers equal the full scan's")
        }
        // Batched answers screen each (list, query) pair once the query's heap is full.
        for nprobe in [4, 12] {
            let before = screened.screening.screened
            XCTAssertEqual(try fixture.batched(screened, k: 10, nprobe: nprobe), try fixture.single(full, k: 10, nprobe: nprobe),
                           "\(metric) nprobe \(nprobe): screened batches answer as full single scans")
            XCTAssertGreaterThan(screened.screening.screened, before, "\(metric): the batch screened some pairs")
        }
        let (rows, rescored) = screened.screening
        XCTAssertGreaterThan(rows, 100_000, "\(metric): lists were screened")
        XCTAssertEqual(full.screening.screened, 0)
        if metric == .l2 {
            XCTAssertLessThan(Double(rescored), 0.5 * Double(rows), "l2: the screen keeps most rows from the float32 re-score")
        }
        let odd = SearchFilter.excluding(stride(from: UInt32(0), to: 20_000, by: 3))
        XCTAssertEqual(try answers(screened, fixture, queries: queries, k: 10, nprobe: 6, filter: odd),
                       try answers(full, fixture, queries: queries, k: 10, nprobe: 6, filter: odd), "\(metric): with a filter")

        // Online writes far outside the trained residual range: their lists are clipped, and
        // the screen still never drops a row that belongs in the answer.
        let far = (0..<6).map { i -> [Float] in
            // Scaled queries (l2, ip) and scaled one-hot directions (also clipped for cosine).
            i < 3 ? fixture.query(i).map { $0 * 6 + Float(i) } : (0..<d).map { $0 == i ? 6 : 0 }
        }
        let near = (0..<6).map { i in fixture.query(i).map { $0 * 1.01 } }
        try fixture.store.write { w in
            let rows = try (far + near).flatMap { $0 }.withUnsafeBufferPointer {
                try w.upsertVectors(.item, ids: (0..<12).map { .string("far-\($0)") }, vectors: $0)
            }
            try index.applyWrites(upserted: rows, deleted: [], in: w)
        }
        let copy = try XCTUnwrap(index.resident.lookup(sequence: try fixture.store.read {
            try XCTUnwrap(try index.tables.metaValue(.storeSequence, as: UInt64.self, in: $0.transaction))
        }, buildID: index.info.buildID))
        XCTAssertTrue(copy.screens.contains { $0?.clipped == true }, "\(metric): a clipped list")
        let later = queries + far + near
        for (k, nprobe) in [(10, 4), (10, 50)] {
            let expected = try answers(full, fixture, queries: later, k: k, nprobe: nprobe)
            XCTAssertEqual(try answers(screened, fixture, queries: later, k: k, nprobe: nprobe), expected,
                           "\(metric) after clipped writes, nprobe \(nprobe)")
            let batched = try fixture.store.read { r in
                try later.flatMap { $0 }.withUnsafeBufferPointer {
                    try screened.searchBatch(r, queries: $0, parameters: SearchParameters(k: k, nprobe: nprobe), filter: nil)
                }
            }
            XCTAssertEqual(batched, expected, "\(metric) after clipped writes, nprobe \(nprobe): screened batches")
        }
    }

    func testL2() throws { try check(metric: .l2) }
    /// A dimension that is not a multiple of 4: the blocks' padding components.
    func testL2OddDimension() throws { try check(metric: .l2, dimension: 37) }
    func testInnerProduct() throws { try check(metric: .innerProduct) }
    func testCosine() throws { try check(metric: .cosine) }

    /// int8 lists carry no screen; float32 lists read from the store (no resident copy) are
    /// scanned in full.
    func testOnlyResidentFloat32ListsAreScreened() throws {
        let fixture = try IVFTestFixture(count: 3_000, dimension: 16, queryCount: 10, metric: .l2)
        try fixture.build(lists: 10, encoding: .int8)
        let int8 = try fixture.openIndex()
        let r8 = int8.makeRetriever() as! IVFRetriever
        _ = try answers(r8, fixture, queries: (0..<10).map(fixture.query), k: 10, nprobe: 3)
        XCTAssertEqual(r8.screening.screened, 0)
        try fixture.build(lists: 10, encoding: .float32, retrain: true)
        let mapped = try XCTUnwrap(try IVFSearchIndex.open(fixture.store, preload: false))
        let rm = mapped.makeRetriever() as! IVFRetriever
        _ = try answers(rm, fixture, queries: (0..<10).map(fixture.query), k: 10, nprobe: 3)
        XCTAssertEqual(rm.screening.screened, 0)
    }
}
