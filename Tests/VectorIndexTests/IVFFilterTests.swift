import Store
import VectorIndex
import VectorMath
import XCTest

/// Filters (the shared `SearchFilter`) applied while lists are scanned.
final class IVFFilterTests: XCTestCase {
    func testFiltersPassingHalfAFiftiethAndAFivehundredth() throws {
        let fixture = try IVFTestFixture(count: 20_000, dimension: 16, queryCount: 60, metric: .innerProduct)
        try fixture.build(lists: 64)
        let retriever = try fixture.openIndex().makeRetriever()
        for (modulus, floor) in [(2, 0.9), (20, 0.9), (200, 1.0)] {
            let allowedRows = (0..<20_000).filter { $0 % modulus == 3 % modulus }.map(UInt32.init)
            let filter = SearchFilter(allowed: RowBitmap(allowedRows))
            let truth = try fixture.exact(k: 10) { filter.accepts($0) }
            let single = try fixture.single(retriever, k: 10, nprobe: 8, filter: filter)
            let batched = try fixture.batched(retriever, k: 10, nprobe: 8, filter: filter)
            XCTAssertEqual(single.map { $0.map(\.id) }, batched.map { $0.map(\.id) })
            for answer in single {
                XCTAssertEqual(answer.count, 10, "k passing rows are found even when few pass (1/\(modulus))")
                XCTAssertTrue(answer.allSatisfy { filter.accepts($0.id) }, "every result passes the filter (1/\(modulus))")
            }
            let recall = IVFTestFixture.recall(single, truth)
            XCTAssertGreaterThanOrEqual(recall, floor, "recall@10 with a filter passing 1/\(modulus)")
        }
    }

    func testExcludedRowsAreNeverReturned() throws {
        let fixture = try IVFTestFixture(count: 5_000, dimension: 16, queryCount: 20, metric: .l2)
        try fixture.build(lists: 20)
        let retriever = try fixture.openIndex().makeRetriever()
        let unfiltered = try fixture.single(retriever, k: 10, nprobe: 4)
        let excluded = Set(unfiltered.flatMap { $0.prefix(5).map(\.id) })
        let filter = SearchFilter.excluding(excluded)
        let filtered = try fixture.single(retriever, k: 10, nprobe: 4, filter: filter)
        for (before, after) in zip(unfiltered, filtered) {
            XCTAssertTrue(after.allSatisfy { !excluded.contains($0.id) })
            // What was ranked 6th to 10th and not excluded stays in the answer.
            for kept in before.suffix(5) where !excluded.contains(kept.id) { XCTAssertTrue(after.contains(kept)) }
        }
        // A filter that lets nothing through gives nothing.
        let nothing = SearchFilter(allowed: RowBitmap())
        XCTAssertTrue(try fixture.single(retriever, k: 10, nprobe: 4, filter: nothing).allSatisfy { $0.isEmpty })
    }
}
