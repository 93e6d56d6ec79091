import Store
import VectorIndex
import VectorMath
import XCTest

/// Batched and single queries give identical answers (ids and scores), with and without a filter.
final class IVFBatchTests: XCTestCase {
    func check(_ metric: Metric, encoding: IVFEncoding) throws {
        let fixture = try IVFTestFixture(count: 8_000, dimension: 24, queryCount: 150, metric: metric)
        try fixture.build(lists: 40, encoding: encoding)
        let index = try fixture.openIndex()
        let single = index.makeRetriever(), batched = index.makeRetriever()
        let half = SearchFilter(allowed: RowBitmap((0..<8_000).filter { $0 % 2 == 0 }.map(UInt32.init)))
        for (nprobe, filter) in [(1, nil), (3, nil), (9, nil), (40, nil), (3, half)] as [(Int, SearchFilter?)] {
            let one = try fixture.single(single, k: 10, nprobe: nprobe, filter: filter)
            let many = try fixture.batched(batched, k: 10, nprobe: nprobe, filter: filter)
            XCTAssertEqual(one.count, many.count)
            for (q, (a, b)) in zip(one, many).enumerated() {
                XCTAssertEqual(a.map(\.id), b.map(\.id), "\(metric) \(encoding) nprobe \(nprobe) query \(q)")
                XCTAssertEqual(a.map(\.score), b.map(\.score), "\(metric) \(encoding) nprobe \(nprobe) query \(q)")
                XCTAssertEqual(a.count, 10)
            }
        }
        // A batch larger than one group, and k larger than what a few lists hold.
        let big = try fixture.batched(batched, k: 300, nprobe: 1)
        let bigSingle = try fixture.single(single, k: 300, nprobe: 1)
        XCTAssertEqual(big.map { $0.map(\.id) }, bigSingle.map { $0.map(\.id) })
        XCTAssertTrue(big.allSatisfy { $0.count == 300 }, "probing goes on until k rows are found")
    }

    func testInnerProduct() throws { try check(.innerProduct, encoding: .float32) }
    func testCosine() throws { try check(.cosine, encoding: .float32) }
    func testL2() throws { try check(.l2, encoding: .float32) }
    func testInnerProductInt8() throws { try check(.innerProduct, encoding: .int8) }
    func testL2Int8() throws { try check(.l2, encoding: .int8) }

    func testBatchOfMoreThanOneGroupAndEmptyBatch() throws {
        let fixture = try IVFTestFixture(count: 3_000, dimension: 16, queryCount: 1_100, metric: .l2)
        try fixture.build(lists: 20)
        let retriever = try fixture.openIndex().makeRetriever()
        let many = try fixture.batched(retriever, k: 5, nprobe: 2)
        XCTAssertEqual(many.count, 1_100)
        XCTAssertEqual(many.map { $0.map(\.id) }, try fixture.single(retriever, k: 5, nprobe: 2).map { $0.map(\.id) })
        let none = try fixture.store.read { r in try retriever.searchBatch(r, queries: UnsafeBufferPointer(start: nil, count: 0), parameters: SearchParameters(k: 5), filter: nil) }
        XCTAssertTrue(none.isEmpty)
        XCTAssertThrowsError(try fixture.store.read { r in
            try [Float](repeating: 0, count: 17).withUnsafeBufferPointer { try retriever.searchBatch(r, queries: $0, parameters: SearchParameters(k: 5), filter: nil) }
        }) { XCTAssertEqual($0 as? IndexError, .queryCountMismatch(floats: 17, dimension: 16)) }
    }
}
