import Store
import VectorMath
import XCTest
@testable import VectorIndex

/// Ranking lists from the centroid codes (`IVFRetriever.rankByCodes`, VNNI, at least 64 lists,
/// l2 and cosine): the same lists in the same order, hence the same answers, as ranking every
/// list by its exact dot product; batched answers (BLAS ranking) still equal single ones.
final class IVFRankByCodesTests: XCTestCase {
    func check(metric: Metric) throws {
        let fixture = try IVFTestFixture(count: 12_000, dimension: 24, queryCount: 80, metric: metric)
        try fixture.build(lists: 120)
        let index = try fixture.openIndex()
        XCTAssertEqual(index.centroids.codes != nil, CentroidCodes.available, "\(metric): codes with VNNI")
        let coded = index.makeRetriever() as! IVFRetriever
        let exact = index.makeRetriever() as! IVFRetriever
        exact.ranksListsByCodes = false
        var queries = (0..<fixture.queryCount).map(fixture.query)
        queries += (0..<5).map { i in Array(fixture.data[i * 24 ..< (i + 1) * 24]) }      // rows: a list's own member
        queries.append([Float](repeating: 0, count: 24))                                    // every list ties on q.c
        queries.append((0..<24).map { Float($0 % 3) * 1e6 })                                // far outside
        for nprobe in [1, 3, 16, 119, 120] {
            try fixture.store.read { r in
                for (i, q) in queries.enumerated() {
                    let parameters = SearchParameters(k: 10, nprobe: nprobe)
                    let a = try coded.search(r, query: q, parameters: parameters)
                    XCTAssertEqual(coded.rankedByCodes, CentroidCodes.available, "query \(i)")
                    let chosenByCodes = coded.chosen
                    let b = try exact.search(r, query: q, parameters: parameters)
                    XCTAssertFalse(exact.rankedByCodes)
                    XCTAssertEqual(chosenByCodes, exact.chosen, "\(metric) nprobe \(nprobe) query \(i): the same lists, in order")
                    XCTAssertEqual(a, b, "\(metric) nprobe \(nprobe) query \(i)")
                }
            }
            XCTAssertEqual(try fixture.single(coded, k: 10, nprobe: nprobe), try fixture.batched(coded, k: 10, nprobe: nprobe),
                           "\(metric) nprobe \(nprobe): batched and single agree")
        }
        // Online writes change the lists and their summaries.
        let far = (0..<6).map { i in fixture.query(i).map { $0 * Float(3 + i) } }
        try fixture.store.write { w in
            let rows = try far.flatMap { $0 }.withUnsafeBufferPointer {
                try w.upsertVectors(.item, ids: (0..<6).map { .string("far-\($0)") }, vectors: $0)
            }
            try index.applyWrites(upserted: rows, deleted: [], in: w)
        }
        for nprobe in [3, 16] {
            try fixture.store.read { r in
                for (i, q) in (queries + far).enumerated() {
                    let parameters = SearchParameters(k: 10, nprobe: nprobe)
                    let a = try coded.search(r, query: q, parameters: parameters)
                    let chosenByCodes = coded.chosen
                    XCTAssertEqual(a, try exact.search(r, query: q, parameters: parameters), "\(metric) after writes, query \(i)")
                    XCTAssertEqual(chosenByCodes, exact.chosen, "\(metric) after writes, nprobe \(nprobe) query \(i)")
                }
            }
        }
    }

    func testL2() throws { try check(metric: .l2) }
    func testCosine() throws { try check(metric: .cosine) }

    /// Inner product ranks lists by a bound with per-list terms: no codes.
    func testInnerProductKeepsExactRanking() throws {
        let fixture = try IVFTestFixture(count: 6_000, dimension: 16, queryCount: 5, metric: .innerProduct)
        try fixture.build(lists: 80)
        XCTAssertNil(try fixture.openIndex().centroids.codes)
    }
}
