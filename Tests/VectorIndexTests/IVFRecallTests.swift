import Store
import VectorIndex
import VectorMath
import XCTest

/// Recall@10 against exact search on 20k generated clustered vectors, for every metric.
final class IVFRecallTests: XCTestCase {
    let lists = 64
    var probes = [1, 2, 4, 8, 16, 32]

    /// Recall at each `probes` value; every answer must also be sorted and hold distinct rows.
    func recallCurve(_ fixture: IVFTestFixture, truth: [[UInt32]]) throws -> [Int: Double] {
        let retriever = try fixture.openIndex().makeRetriever()
        var curve: [Int: Double] = [:]
        for nprobe in probes + [lists] {
            let found = try fixture.single(retriever, k: 10, nprobe: nprobe)
            for answer in found {
                XCTAssertEqual(answer.count, 10)
                XCTAssertEqual(Set(answer.map(\.id)).count, answer.count, "distinct rows")
                XCTAssertEqual(answer, answer.sorted { !$0.ranksBelow($1) }, "best first")
            }
            curve[nprobe] = IVFTestFixture.recall(found, truth)
        }
        return curve
    }

    func check(_ metric: Metric, encoding: IVFEncoding) throws {
        if encoding == .int8 { probes = [1, 4, 16, 32] }  // fewer points: int8 scans are slow in debug builds
        let fixture = try IVFTestFixture(metric: metric)
        let report = try fixture.build(lists: lists, encoding: encoding)
        XCTAssertEqual(report.info.entries, 20_000)
        XCTAssertEqual(report.balance.rows, 20_000)
        XCTAssertEqual(report.info.trainingPoints, 64 * lists)
        let truth = try fixture.exact(k: 10)
        let curve = try recallCurve(fixture, truth: truth)
        let reached = probes.first { curve[$0]! >= 0.95 }
        XCTAssertNotNil(reached, "\(metric) \(encoding): recall@10 never reached 0.95 at nprobe <= \(probes.last!): \(curve)")
        XCTAssertLessThan(curve[1]!, 0.95, "one list out of \(lists) should not find nearly everything: \(curve)")
        XCTAssertGreaterThanOrEqual(curve[lists]!, encoding == .float32 ? 0.999 : 0.98,
                                    "probing every list is exact search (re-scored in float32): \(curve)")
        for (a, b) in zip(probes, probes.dropFirst()) {
            XCTAssertLessThanOrEqual(curve[a]!, curve[b]! + 0.01, "recall grows with nprobe: \(curve)")
        }
    }

    func testInnerProduct() throws { try check(.innerProduct, encoding: .float32) }
    func testCosine() throws { try check(.cosine, encoding: .float32) }
    func testL2() throws { try check(.l2, encoding: .float32) }
    func testInnerProductInt8() throws { try check(.innerProduct, encoding: .int8) }
    func testL2Int8() throws { try check(.l2, encoding: .int8) }
}
