import Foundation
import XCTest
import Store
@testable import Ingest

final class FvecsVectorReaderTests: XCTestCase {
    let rows: [[Float]] = [[1, 2, 3], [4.5, -5, 6], [7, 8, 9.25], [0, 0, -1], [1e-7, 3e8, 2]]

    func testRoundTripAcrossBatches() throws {
        let files = try TestFiles()
        let p = try files.writeFvecs("v.fvecs", rows: rows)
        let r = try readAll(p, maxRows: 2)
        XCTAssertEqual(r.batchSizes, [2, 2, 1])
        XCTAssertEqual(r.dimension, 3)
        XCTAssertEqual(r.vectors, rows.flatMap { $0 })
        XCTAssertEqual(r.ids, (0..<5).map { ExternalID.number(UInt64($0)) })
        XCTAssertEqual(r.locations, (0..<5).map { SourceLocation.row($0) })
    }

    func testExactBatchBoundaryAtEnd() throws {
        let files = try TestFiles()
        let p = try files.writeFvecs("v.fvecs", rows: Array(rows.prefix(4)))
        XCTAssertEqual(try readAll(p, maxRows: 2).batchSizes, [2, 2])
    }

    func testRowWithAnotherDimension() throws {
        let files = try TestFiles()
        let p = try files.writeFvecs("v.fvecs", rows: [[1, 2, 3], [4, 5, 6], [7, 8], [1, 2, 3]])
        assertThrows(.dimensionMismatch(file: p, location: .row(2), expected: 3, got: 2)) { try readAll(p) }
    }

    func testTruncatedLastRow() throws {
        let files = try TestFiles()
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: files.writeFvecs("full.fvecs", rows: rows))))
        bytes.removeLast(5)
        let p = try files.write("t.fvecs", bytes: bytes)
        // Rows are 16 bytes; row 4 starts at 64 and has 11 of its 16 bytes.
        assertThrows(.truncated(file: p, expectedBytes: 80, gotBytes: 75)) { try readAll(p, maxRows: 2) }
    }

    func testNaNInRow2() throws {
        let files = try TestFiles()
        var data = rows
        data[2][2] = .nan
        let p = try files.writeFvecs("n.fvecs", rows: data)
        assertThrows(.nonFinite(file: p, location: .row(2), column: 2)) { try readAll(p) }
    }

    func testBadFirstDimension() throws {
        let files = try TestFiles()
        let p = try files.writeFvecs("d.fvecs", rows: [[1]], dimensions: [-3])
        assertThrows(.malformed(file: p, location: .row(0), reason: "dimension field is -3; expected 1...1048576")) {
            try readAll(p)
        }
    }

    func testEmptyFile() throws {
        let files = try TestFiles()
        let p = try files.write("e.fvecs", bytes: [])
        XCTAssertEqual(try readAll(p).batchSizes, [])
    }
}
