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

    /// A truncated row is named by its 0-based row and byte offset, with the bytes it needs
    /// and has (it was the file's size only).
    func testTruncatedLastRow() throws {
        let files = try TestFiles()
        let full = Array(try Data(contentsOf: URL(fileURLWithPath: files.writeFvecs("full.fvecs", rows: rows))))
        let p = try files.write("t.fvecs", bytes: Array(full.dropLast(5)))
        // Rows are 16 bytes; row 4 starts at 64 and has 11 of its 16 bytes.
        let expected = IngestError.truncatedRow(file: p, location: .row(4), offset: 64, expectedBytes: 16, gotBytes: 11)
        assertThrows(expected) { try readAll(p, maxRows: 2) }
        assertThrows(expected) { try readAll(p, maxRows: 100) }
        XCTAssertEqual(expected.description, "\(p), row 4 (at byte offset 64): truncated: the row needs 16 bytes, the file has 11 of them")
        // Cut inside row 2's dimension field.
        let q = try files.write("q.fvecs", bytes: Array(full.prefix(34)))
        assertThrows(.truncatedRow(file: q, location: .row(2), offset: 32, expectedBytes: 16, gotBytes: 2)) { try readAll(q) }
        let r = try files.write("r.fvecs", bytes: Array(full.prefix(3)))
        assertThrows(.truncatedRow(file: r, location: .row(0), offset: 0, expectedBytes: 4, gotBytes: 3)) { try readAll(r) }
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
