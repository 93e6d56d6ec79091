import Foundation
@testable import Ranking
import Store
import VectorIndex
import XCTest

/// `VectorGather` copies rows in any order from the snapshot's table; vacant and unknown rows
/// come back as zeros and absent.
final class VectorGatherTests: XCTestCase {
    func testRowsInAnyOrderVacantAndUnknownRows() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try TestStores.tiny(at: dir.path)
        try store.write { w in try w.removeVector(row: 3, .item) }
        try store.read { reader in
            let table = try VectorTable(reader)
            let rows: [UInt32] = [4, 0, 3, 2, 999, 5]
            var out = [Float](repeating: -7, count: rows.count * 2)
            var present = [Bool](repeating: true, count: rows.count)
            var inverse = [Float](repeating: -7, count: rows.count)
            rows.withUnsafeBufferPointer { r in
                out.withUnsafeMutableBufferPointer { o in
                    present.withUnsafeMutableBufferPointer { p in
                        inverse.withUnsafeMutableBufferPointer { i in
                            VectorGather.gather(table, rows: r, into: o.baseAddress!, present: p.baseAddress!, inverseNorms: i.baseAddress!)
                        }
                    }
                }
            }
            XCTAssertEqual(out, [0.5, -0.5, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0.5])
            XCTAssertEqual(present, [true, true, false, true, false, true])
            let expected: [Float] = [1 / Float(0.5).squareRoot(), 1, 0, 1 / Float(2).squareRoot(), 0, 2]
            for (got, want) in zip(inverse, expected) { XCTAssertEqual(got, want, accuracy: 1e-6) }
        }
    }
}
