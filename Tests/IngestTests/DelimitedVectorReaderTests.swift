import XCTest
import Store
@testable import Ingest

final class DelimitedVectorReaderTests: XCTestCase {
    func testTSVWithSpaceSeparatedValues() throws {
        let files = try TestFiles()
        let p = try files.write("v.tsv", text: "12\t0.5 1 -2.25\nsku-1\t1e-3 2.5E2 0\r\n\n  \n007\t3 4 5")
        let r = try readAll(p, maxRows: 2)
        XCTAssertEqual(r.batchSizes, [2, 1])
        XCTAssertEqual(r.dimension, 3)
        XCTAssertEqual(r.ids, [.number(12), .string("sku-1"), .string("007")])
        XCTAssertEqual(r.vectors, [0.5, 1, -2.25, 0.001, 250, 0, 3, 4, 5])
        XCTAssertEqual(r.locations, [.line(1), .line(2), .line(5)])
    }

    /// Spaces and tabs around an id in a text file are not part of it: ` 42` is the id 42.
    func testSpacesAroundIDsAreNotPartOfThem() throws {
        let files = try TestFiles()
        let tsv = try files.write("v.tsv", text: " 42\t1 2\n43 \t3 4\n sku 1 \t5 6\n")
        XCTAssertEqual(try readAll(tsv).ids, [.number(42), .number(43), .string("sku 1")])
        let csv = try files.write("v.csv", text: " id ,a,b\n42 ,1,2\n\t7,3,4\n")
        let r = try readAll(csv)
        XCTAssertEqual(r.ids, [.number(42), .number(7)])
        XCTAssertEqual(r.locations, [.line(2), .line(3)])
    }

    func testTSVOneColumnPerValueWithHeader() throws {
        let files = try TestFiles()
        let p = try files.write("v.tsv", text: "id\tv0\tv1\n1\t0.25\t0.5\n2\t-1\t+2\n")
        let r = try readAll(p)
        XCTAssertEqual(r.ids, [.number(1), .number(2)])
        XCTAssertEqual(r.vectors, [0.25, 0.5, -1, 2])
        XCTAssertEqual(r.locations, [.line(2), .line(3)])
    }

    /// What pandas and numpy write: `to_csv` headers (`id,0,1` or `,0,1`: numeric column names)
    /// are headers; `np.savetxt` rows (no id column) are refused as vectors and read as query
    /// vectors; a line without numbers is a header only when it has values, and a file of a
    /// header alone is an error (both were dropped silently).
    func testPandasAndNumpyTextAndHeaderOnlyFiles() throws {
        let files = try TestFiles()
        let named = try files.write("named.csv", text: "id,0,1,2\na,1.0,2.0,3.0\n")
        XCTAssertEqual(try readAll(named).ids, [.string("a")])
        let unnamed = try files.write("unnamed.csv", text: ",0,1,2\n0,1.0,2.0,3.0\n1,4,5,6\n")
        let r = try readAll(unnamed)
        XCTAssertEqual(r.ids, [.number(0), .number(1)])
        XCTAssertEqual(r.vectors, [1, 2, 3, 4, 5, 6])
        let savetxt = try files.write("x.txt", text: "1.000000000000000000e+00 2.000000000000000000e+00 3.000000000000000000e+00\n")
        assertThrows(.malformed(file: savetxt, location: .line(1), reason: "the id '1.000000000000000000e+00' is a decimal number: has the file no id column? Give the ids in a file (--item-ids / --user-ids), then every column is a value")) { try readAll(savetxt) }
        let queries = try readAll(savetxt, expectedDimension: 3, idColumnOptional: true)
        XCTAssertEqual(queries.vectors, [1, 2, 3])
        XCTAssertEqual(queries.ids, [.number(0)])
        let withIDs = try readAll(try files.write("q.tsv", text: "7\t1 2 3\n"), expectedDimension: 3, idColumnOptional: true)
        XCTAssertEqual(withIDs.ids, [.number(7)])
        let noValues = try files.write("novalues.tsv", text: "i0\t\ni1\t1 2 3 4\n")
        assertThrows(.malformed(file: noValues, location: .line(1), reason: "line has an id but no values")) { try readAll(noValues) }
        let headerOnly = try files.write("header.tsv", text: "sku\ta b c\n")
        assertThrows(.malformed(file: headerOnly, location: .line(1), reason: "the file holds only this line, read as a header (no number among its values): no vectors")) { try readAll(headerOnly) }
    }

    func testCSVWithHeaderAndQuotedID() throws {
        let files = try TestFiles()
        let p = try files.write("v.csv", text: "item,x,y\n\"a,b\",1.5, 2\n\"say \"\"hi\"\"\",3,4\n")
        let r = try readAll(p)
        XCTAssertEqual(r.ids, [.string("a,b"), .string("say \"hi\"")])
        XCTAssertEqual(r.vectors, [1.5, 2, 3, 4])
    }

    func testWhitespaceSeparatedText() throws {
        let files = try TestFiles()
        let p = try files.write("v.txt", text: "5 1 2\n6   3  4  \n")
        let r = try readAll(p)
        XCTAssertEqual(r.ids, [.number(5), .number(6)])
        XCTAssertEqual(r.vectors, [1, 2, 3, 4])
    }

    func testWrongDimensionOnLine3() throws {
        let files = try TestFiles()
        let p = try files.write("v.tsv", text: "1\t1 2 3\n2\t4 5 6\n3\t7 8\n")
        assertThrows(.dimensionMismatch(file: p, location: .line(3), expected: 3, got: 2)) { try readAll(p) }
    }

    func testNaNAndInfinityAreNonFinite() throws {
        let files = try TestFiles()
        let p = try files.write("v.csv", text: "1,1,2\n2,3,nan\n")
        assertThrows(.nonFinite(file: p, location: .line(2), column: 1)) { try readAll(p) }
        let q = try files.write("w.tsv", text: "1\t-inf 2\n")
        assertThrows(.nonFinite(file: q, location: .line(1), column: 0)) { try readAll(q) }
    }

    func testNotANumber() throws {
        let files = try TestFiles()
        let p = try files.write("v.tsv", text: "1\t1 2\n2\t3 4x\n")
        assertThrows(.malformed(file: p, location: .line(2), reason: "vector component 1 (at byte 5 of the line) is '4x', not a number")) {
            try readAll(p)
        }
        let q = try files.write("w.csv", text: "1,1,2\n2,3,\n")
        assertThrows(.malformed(file: q, location: .line(2), reason: "vector component 1 (at byte 5 of the line) is an empty field, not a number")) {
            try readAll(q)
        }
    }

    func testInvalidIDInFirstColumn() throws {
        let files = try TestFiles()
        let p = try files.write("v.tsv", text: "1\t1 2\n-4\t3 4\n")
        assertThrows(.invalidID(file: p, location: .line(2), reason: .negativeOrSigned("-4"))) { try readAll(p) }
        let q = try files.write("w.tsv", text: "1\t1 2\n\t3 4\n")
        assertThrows(.invalidID(file: q, location: .line(2), reason: .empty)) { try readAll(q) }
    }

    func testIdsFileMakesEveryColumnAValue() throws {
        let files = try TestFiles()
        let p = try files.write("v.csv", text: "1,2\n3,4\n\n5,6\n")
        let ids = try files.write("ids.txt", text: "a\nb\nc\n")
        let r = try readAll(p, idsPath: ids, maxRows: 2)
        XCTAssertEqual(r.ids, [.string("a"), .string("b"), .string("c")])
        XCTAssertEqual(r.vectors, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(r.locations, [.line(1), .line(2), .line(4)])
    }

    func testExplicitFormatOverridesExtension() throws {
        let files = try TestFiles()
        let p = try files.write("vectors.data", text: "1\t1 2\n")
        XCTAssertEqual(try readAll(p, format: .delimited).vectors, [1, 2])
        assertThrows(.unknownFormat(file: p, reason: "extension '.data'; expected .npy, .fvecs, .tsv, .csv, .txt, .jsonl or .ndjson (or name the format)")) {
            try readAll(p)
        }
    }

    func testNumbersMatchFloatParsing() throws {
        let files = try TestFiles()
        let texts = ["0.1", "3.4028235e38", "1.17549435e-38", "1e-45", "-0", "123456789012345678901234567890",
                     "0.30000001192092896", "16777217", "1.0000000596046448", ".5", "5.", "2.5e-3"]
        let p = try files.write("v.txt", text: "1 " + texts.joined(separator: " ") + "\n")
        XCTAssertEqual(try readAll(p).vectors.map(\.bitPattern), texts.map { Float($0)!.bitPattern })
    }
}
