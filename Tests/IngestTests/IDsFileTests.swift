import XCTest
import Store
@testable import Ingest

final class IDsFileTests: XCTestCase {
    func vectors(_ files: TestFiles, rows: Int) throws -> String {
        try files.writeNpy("v.npy", descr: "<f4", shape: [rows, 2], data: f32Bytes((0 ..< rows * 2).map(Float.init)))
    }

    func testTextIDs() throws {
        let files = try TestFiles()
        let v = try vectors(files, rows: 3)
        let ids = try files.write("ids.txt", text: "10\nsku 2\r\n007\n\n")
        let r = try readAll(v, idsPath: ids, maxRows: 2)
        XCTAssertEqual(r.ids, [.number(10), .string("sku 2"), .string("007")])
    }

    /// Spaces and tabs around an id are not part of it (a tab used to be refused as a control
    /// character, a space kept: ` 42` was another id than `42`).
    func testSpacesAroundTextIDsAreNotPartOfThem() throws {
        let files = try TestFiles()
        let v = try vectors(files, rows: 4)
        let ids = try files.write("ids.txt", text: " 42\n43 \n\t44\t\n sku 2 \n")
        XCTAssertEqual(try readAll(v, idsPath: ids).ids, [.number(42), .number(43), .number(44), .string("sku 2")])
    }

    func testNpyIDsOfEveryIntegerType() throws {
        let files = try TestFiles()
        let v = try vectors(files, rows: 3)
        let cases: [(String, [UInt8])] = [
            ("<i8", [5, 6, 7].flatMap { le(Int64($0)) }),
            ("<u8", [5, 6, 7].flatMap { le(UInt64($0)) }),
            ("<i4", [5, 6, 7].flatMap { le(Int32($0)) }),
            ("<u4", [5, 6, 7].flatMap { le(UInt32($0)) }),
        ]
        for (descr, data) in cases {
            let ids = try files.writeNpy("ids\(descr.dropFirst()).npy", descr: descr, shape: [3], data: data)
            XCTAssertEqual(try readAll(v, idsPath: ids, maxRows: 2).ids, [.number(5), .number(6), .number(7)], descr)
        }
        let big = try files.writeNpy("big.npy", descr: "<u8", shape: [3], data: [UInt64.max, 0, 1].flatMap { le($0) })
        XCTAssertEqual(try readAll(v, idsPath: big).ids, [.number(UInt64.max), .number(0), .number(1)])
    }

    func testNegativeNpyID() throws {
        let files = try TestFiles()
        let v = try vectors(files, rows: 3)
        let ids = try files.writeNpy("ids.npy", descr: "<i8", shape: [3], data: [1, -2, 3].flatMap { le(Int64($0)) })
        assertThrows(.invalidID(file: ids, location: .row(1), reason: .negativeOrSigned("-2"))) { try readAll(v, idsPath: ids) }
    }

    func testFloatNpyIDsAreRefused() throws {
        let files = try TestFiles()
        let v = try vectors(files, rows: 1)
        let ids = try files.writeNpy("ids.npy", descr: "<f8", shape: [1], data: f64Bytes([1]))
        assertThrows(.unsupportedNpy(file: ids, field: "descr", expected: "one of '<i8', '<u8', '<i4', '<u4'", got: "'<f8'")) {
            try readAll(v, idsPath: ids)
        }
    }

    func testInvalidTextIDs() throws {
        let files = try TestFiles()
        let v = try vectors(files, rows: 3)
        let signed = try files.write("a.txt", text: "1\n+2\n3\n")
        assertThrows(.invalidID(file: signed, location: .line(2), reason: .negativeOrSigned("+2"))) { try readAll(v, idsPath: signed) }
        let blank = try files.write("b.txt", text: "1\n\n3\n")
        assertThrows(.invalidID(file: blank, location: .line(2), reason: .empty)) { try readAll(v, idsPath: blank) }
        let huge = try files.write("c.txt", text: "1\n2\n99999999999999999999\n")
        assertThrows(.invalidID(file: huge, location: .line(3), reason: .overflow("99999999999999999999"))) {
            try readAll(v, idsPath: huge)
        }
    }

    func testCountMismatchTextIDs() throws {
        let files = try TestFiles()
        let v = try vectors(files, rows: 3)
        let few = try files.write("few.txt", text: "1\n2\n")
        assertThrows(.countMismatch(idsFile: few, ids: 2, vectorsFile: v, vectors: 3)) { try readAll(v, idsPath: few, maxRows: 2) }
        let many = try files.write("many.txt", text: "1\n2\n3\n4\n5\n")
        assertThrows(.countMismatch(idsFile: many, ids: 5, vectorsFile: v, vectors: 3)) { try readAll(v, idsPath: many, maxRows: 2) }
    }

    func testCountMismatchNpyIDsIsFoundAtOpen() throws {
        let files = try TestFiles()
        let v = try vectors(files, rows: 3)
        let ids = try files.writeNpy("ids.npy", descr: "<u4", shape: [4], data: [1, 2, 3, 4].flatMap { le(UInt32($0)) })
        assertThrows(.countMismatch(idsFile: ids, ids: 4, vectorsFile: v, vectors: 3)) {
            try openVectorReader(path: v, idsPath: ids)
        }
    }

    func testCountMismatchWithTextVectors() throws {
        let files = try TestFiles()
        let v = try files.write("v.tsv", text: "1 2\n3 4\n\n5 6\n7 8\n")
        let few = try files.writeNpy("few.npy", descr: "<i8", shape: [2], data: [1, 2].flatMap { le(Int64($0)) })
        assertThrows(.countMismatch(idsFile: few, ids: 2, vectorsFile: v, vectors: 4)) { try readAll(v, idsPath: few) }
        let many = try files.write("many.txt", text: "1\n2\n3\n4\n5\n6\n")
        assertThrows(.countMismatch(idsFile: many, ids: 6, vectorsFile: v, vectors: 4)) { try readAll(v, idsPath: many) }
        let fvecs = try files.writeFvecs("v.fvecs", rows: [[1], [2], [3]])
        assertThrows(.countMismatch(idsFile: few, ids: 2, vectorsFile: fvecs, vectors: 3)) { try openVectorReader(path: fvecs, idsPath: few) }
    }

    func testMatchingCountsWithBatchEndingAtFileEnd() throws {
        let files = try TestFiles()
        let v = try files.write("v.jsonl", text: "{\"vector\": [1]}\n{\"vector\": [2]}\n")
        let ids = try files.write("ids.txt", text: "a\nb")
        let r = try readAll(v, idsPath: ids, maxRows: 2)
        XCTAssertEqual(r.ids, [.string("a"), .string("b")])
        XCTAssertEqual(r.batchSizes, [2])
    }
}
