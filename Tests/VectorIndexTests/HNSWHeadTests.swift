import Foundation
import Store
import TestSupport
@testable import VectorIndex
import VectorMath
import XCTest

/// The exact head scan on blocked codes: whatever the k-th best already found, the head's rows
/// that beat it are all offered with exact scores (the code bound never drops one).
final class HNSWHeadTests: XCTestCase {
    var path = ""

    override func setUp() { path = NSTemporaryDirectory() + "hnsw-head-" + UUID().uuidString }
    override func tearDown() { try? FileManager.default.removeItem(atPath: path) }

    func testScanOffersEveryHeadRowAboveTheThresholdWithItsExactScore() throws {
        let dimension = 37, count = 3_000
        let generator = try ClusteredEmbeddings(spec: ClusteredSpec(count: count, dimension: dimension, seed: 5))
        let data = generator.generate(), queries = generator.queries(count: 50, seed: 6)
        let store = try EmbeddingStore(path: path, create: true)
        try store.write { w in
            try w.initialize(dimension: dimension, metric: .innerProduct)
            try data.withUnsafeBufferPointer { _ = try w.upsertVectors(.item, ids: (0..<count).map { .number(UInt64($0)) }, vectors: $0) }
        }
        try store.read { r in
            let table = try VectorTable(r)
            let head = HNSWHead(dimension: dimension)
            head.select(table, fraction: 0.2, deleted: RowBitmap())
            XCTAssertEqual(head.count, 600)
            let scratch = BlockedQueryScratch(dimension: dimension)
            let k = 10
            for q in 0..<50 {
                let query = Array(queries[q * dimension ..< (q + 1) * dimension])
                // Exact scores of the head rows, best first.
                let exact = head.rows.map { row -> (UInt32, Double) in
                    let v = UnsafeBufferPointer(start: table.vector(row)!, count: dimension)
                    var sum = 0.0
                    for j in 0..<dimension { sum += Double(query[j]) * Double(v[j]) }
                    return (row, sum)
                }
                    .sorted { $0.1 > $1.1 }
                // The k-th best so far sits just below the head's `rank`-th row: exactly the rows
                // above it must come back.
                for rank in [1, 5, 10] {
                    let floor = Float((exact[rank - 1].1 + exact[rank].1) / 2)
                    var top = TopK(capacity: k)
                    for i in 0..<k { top.push(score: floor, id: UInt32(count + i)) }
                    query.withUnsafeBufferPointer { qp in
                        head.scan(qp.baseAddress!, scratch: scratch, visible: UInt32(count), top: &top, accept: nil)
                    }
                    let found = top.sorted()
                    let headFound = found.filter { $0.id < UInt32(count) }
                    XCTAssertEqual(headFound.map(\.id), exact.prefix(rank).map(\.0), "query \(q), rank \(rank)")
                    for s in headFound {
                        let want = exact.first { $0.0 == s.id }!.1
                        XCTAssertEqual(Double(s.score), want, accuracy: 1e-4 * max(1, abs(want)), "exact score")
                    }
                }
                // The same through `floor` alone (an empty top, as when the walk found head rows).
                for rank in [1, 10] {
                    var top = TopK(capacity: k)
                    let floor = Float((exact[rank - 1].1 + exact[rank].1) / 2)
                    query.withUnsafeBufferPointer { qp in
                        head.scan(qp.baseAddress!, scratch: scratch, visible: UInt32(count), floor: floor, top: &top, accept: nil)
                    }
                    let found = top.sorted().map(\.id)
                    XCTAssertEqual(Array(found.prefix(rank)), exact.prefix(rank).map(\.0), "query \(q), floor at rank \(rank)")
                }
                // Rows past `visible` and rows the predicate refuses never come back.
                var top = TopK(capacity: k)
                let limit = UInt32(count / 2)
                query.withUnsafeBufferPointer { qp in
                    head.scan(qp.baseAddress!, scratch: scratch, visible: limit, top: &top, accept: { $0 % 2 == 0 })
                }
                let found = top.sorted()
                XCTAssertEqual(found.count, k)
                XCTAssertTrue(found.allSatisfy { $0.id < limit && $0.id % 2 == 0 })
                let expected = exact.filter { $0.0 < limit && $0.0 % 2 == 0 }.prefix(k).map(\.0)
                XCTAssertEqual(found.map(\.id), Array(expected), "query \(q), filtered")
            }
        }
    }
}
