import XCTest
import Store
@testable import Ingest

final class NpyVectorReaderTests: XCTestCase {
    /// rows x dim values i*dim + j + 0.25, as floats.
    func grid(_ rows: Int, _ dim: Int) -> [Float] {
        (0 ..< rows * dim).map { Float($0) + 0.25 }
    }

    func testFloat32RoundTripAcrossBatches() throws {
        let files = try TestFiles()
        let values = grid(7, 3)
        let p = try files.writeNpy("v.npy", descr: "<f4", shape: [7, 3], data: f32Bytes(values))
        let r = try readAll(p, maxRows: 3)
        XCTAssertEqual(r.batchSizes, [3, 3, 1])
        XCTAssertEqual(r.dimension, 3)
        XCTAssertEqual(r.vectors, values)
        XCTAssertEqual(r.ids, (0..<7).map { ExternalID.number(UInt64($0)) })
        XCTAssertEqual(r.locations, (0..<7).map { SourceLocation.row($0) })
    }

    func testFloat16AndFloat64AreConverted() throws {
        let files = try TestFiles()
        let values: [Float] = [0.5, -1.25, 3, 1024, -0.0, 65504]
        let p16 = try files.writeNpy("h.npy", descr: "<f2", shape: [3, 2], data: f16Bytes(values))
        XCTAssertEqual(try readAll(p16).vectors, values)
        let doubles: [Double] = [0.1, -2.5, 1e-3, 123456.789]
        let p64 = try files.writeNpy("d.npy", descr: "<f8", shape: [2, 2], data: f64Bytes(doubles))
        XCTAssertEqual(try readAll(p64, maxRows: 1).vectors, doubles.map { Float($0) })
    }

    func testVersions2And3Headers() throws {
        let files = try TestFiles()
        for version: UInt8 in [2, 3] {
            let p = try files.writeNpy("v\(version).npy", descr: "<f4", shape: [2, 2], version: version,
                                       data: f32Bytes([1, 2, 3, 4]))
            XCTAssertEqual(try readAll(p).vectors, [1, 2, 3, 4])
        }
    }

    func testEmptyArrayHasNoRows() throws {
        let files = try TestFiles()
        let p = try files.writeNpy("e.npy", descr: "<f4", shape: [0, 4], data: [])
        let r = try readAll(p)
        XCTAssertEqual(r.batchSizes, [])
        XCTAssertEqual(r.dimension, 4)
    }

    func testNaNInRow2() throws {
        let files = try TestFiles()
        var values = grid(4, 3)
        values[2 * 3 + 1] = .nan
        let p = try files.writeNpy("n.npy", descr: "<f4", shape: [4, 3], data: f32Bytes(values))
        assertThrows(.nonFinite(file: p, location: .row(2), column: 1)) { try readAll(p, maxRows: 2) }
    }

    func testInfinityFoundByTheVectorCheckInALargeBatch() throws {
        let files = try TestFiles()
        var values = grid(100, 40)
        values[77 * 40 + 39] = -.infinity
        let p = try files.writeNpy("i.npy", descr: "<f4", shape: [100, 40], data: f32Bytes(values))
        assertThrows(.nonFinite(file: p, location: .row(77), column: 39)) { try readAll(p) }
    }

    func testFloat16InfinityAndFloat64OverflowAreNonFinite() throws {
        let files = try TestFiles()
        let p16 = try files.writeNpy("h.npy", descr: "<f2", shape: [2, 2], data: f16Bytes([1, 2, 3, .infinity]))
        assertThrows(.nonFinite(file: p16, location: .row(1), column: 1)) { try readAll(p16) }
        let p64 = try files.writeNpy("d.npy", descr: "<f8", shape: [2, 2], data: f64Bytes([1, 1e300, 3, 4]))
        assertThrows(.malformed(file: p64, location: .row(0), reason: "vector component 1 (0-based) is 1e+300, beyond float32's range (+-3.4e38)")) { try readAll(p64) }
        let inf64 = try files.writeNpy("i.npy", descr: "<f8", shape: [2, 2], data: f64Bytes([1, 2, 3, .infinity]))
        assertThrows(.nonFinite(file: inf64, location: .row(1), column: 1)) { try readAll(inf64) }
    }

    func testTruncatedData() throws {
        let files = try TestFiles()
        let data = f32Bytes(grid(3, 4))
        let p = try files.writeNpy("t.npy", descr: "<f4", shape: [3, 4], data: Array(data.dropLast(6)))
        let size = try fileSize(p)
        let offset = size + 6 - 48
        assertThrows(.truncatedRows(file: p, declared: 3, rowBytes: 16, dataOffset: offset, fileBytes: size)) { try readAll(p) }
        XCTAssertEqual(IngestError.truncatedRows(file: p, declared: 3, rowBytes: 16, dataOffset: offset, fileBytes: size).description,
                       "\(p): truncated: the header declares 3 rows of 16 bytes from byte offset \(offset); "
                       + "the file ends at byte \(size), inside row 2 (0-based; 10 of its 16 bytes), so row 2 is missing or incomplete")
        // Cut at a row boundary, two rows short.
        let q = try files.writeNpy("q.npy", descr: "<f4", shape: [3, 4], data: Array(data.prefix(16)))
        XCTAssertThrowsError(try readAll(q)) {
            XCTAssertEqual(($0 as? IngestError)?.description.hasSuffix("after row 0 (0-based), so rows 1 to 2 (2 rows) are missing or incomplete"), true, "\($0)")
        }
    }

    /// A shape whose byte size overflows 64 bits is refused (it trapped the process once);
    /// a merely huge one is a truncated file.
    func testImpossibleShapesAreRefused() throws {
        let files = try TestFiles()
        let p = try files.writeNpy("o.npy", descr: "<f4", shape: [1 << 62, 4], data: f32Bytes(grid(1, 4)))
        assertThrows(.unsupportedNpy(file: p, field: "shape", expected: "at most 2^56 elements", got: "(4611686018427387904, 4)")) { try readAll(p) }
        let ids = try files.writeNpy("ids.npy", descr: "<i8", shape: [Int.max], data: [])
        XCTAssertThrowsError(try IDSource(path: ids)) {
            XCTAssertEqual($0 as? IngestError, .unsupportedNpy(file: ids, field: "shape", expected: "at most 2^56 elements", got: "(9223372036854775807,)"))
        }
        let huge = try files.writeNpy("h.npy", descr: "<f4", shape: [100_000_000_000, 8], data: [])
        XCTAssertThrowsError(try readAll(huge)) { guard case .truncatedRows? = $0 as? IngestError else { return XCTFail("\($0)") } }
    }

    func testTrailingBytesAreRefused() throws {
        let files = try TestFiles()
        let p = try files.writeNpy("x.npy", descr: "<f4", shape: [1, 2], data: f32Bytes([1, 2, 3]))
        assertThrows(.malformed(file: p, location: .row(1), reason: "4 bytes follow the 1 rows the header declares")) {
            try readAll(p)
        }
    }

    func testFortranOrderIsRefused() throws {
        let files = try TestFiles()
        let p = try files.writeNpy("f.npy", descr: "<f4", shape: [2, 2], fortran: true, data: f32Bytes([1, 2, 3, 4]))
        assertThrows(.unsupportedNpy(file: p, field: "fortran_order", expected: "False (C order)",
                                     got: "True; save with np.ascontiguousarray")) { try readAll(p) }
    }

    func testBigEndianAndOtherDtypesAreRefused() throws {
        let files = try TestFiles()
        let expected = "one of '<f4', '<f2', '<f8'"
        let big = try files.writeNpy("b.npy", descr: ">f4", shape: [1, 1], data: [0, 0, 0, 0])
        assertThrows(.unsupportedNpy(file: big, field: "descr", expected: expected, got: "'>f4' (big-endian)")) {
            try readAll(big)
        }
        let ints = try files.writeNpy("i.npy", descr: "<i4", shape: [1, 1], data: [0, 0, 0, 0])
        assertThrows(.unsupportedNpy(file: ints, field: "descr", expected: expected, got: "'<i4'")) { try readAll(ints) }
    }

    func testWrongRankIsRefused() throws {
        let files = try TestFiles()
        let one = try files.writeNpy("r1.npy", descr: "<f4", shape: [4], data: f32Bytes([1, 2, 3, 4]))
        assertThrows(.unsupportedNpy(file: one, field: "shape", expected: "a 2-D array (rows, dimension)", got: "(4,)")) {
            try readAll(one)
        }
        let three = try files.writeNpy("r3.npy", descr: "<f4", shape: [1, 2, 2], data: f32Bytes([1, 2, 3, 4]))
        assertThrows(.unsupportedNpy(file: three, field: "shape", expected: "a 2-D array (rows, dimension)",
                                     got: "(1, 2, 2)")) { try readAll(three) }
    }

    func testNotAnNpyFile() throws {
        let files = try TestFiles()
        let p = try files.write("bad.npy", text: "hello, this is not numpy")
        assertThrows(.unknownFormat(file: p, reason: "not a .npy file (no \\x93NUMPY magic)")) { try readAll(p) }
    }

    func testExpectedDimension() throws {
        let files = try TestFiles()
        let p = try files.writeNpy("v.npy", descr: "<f4", shape: [1, 3], data: f32Bytes([1, 2, 3]))
        assertThrows(.dimensionMismatch(file: p, location: .row(0), expected: 4, got: 3)) {
            try readAll(p, expectedDimension: 4)
        }
        XCTAssertEqual(try readAll(p, expectedDimension: 3).vectors, [1, 2, 3])
    }

    func testMissingFile() throws {
        let files = try TestFiles()
        let p = files.path("absent.npy")
        assertThrows(.cannotOpen(file: p, reason: "No such file or directory")) { try readAll(p) }
    }
}
