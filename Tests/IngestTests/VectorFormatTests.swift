import XCTest
@testable import Ingest

final class VectorFormatTests: XCTestCase {
    func testFormatByExtension() throws {
        XCTAssertEqual(try VectorFormat(path: "/a/b/items.NPY"), .npy)
        XCTAssertEqual(try VectorFormat(path: "x.fvecs"), .fvecs)
        for name in ["x.tsv", "x.csv", "dir.v2/x.txt"] { XCTAssertEqual(try VectorFormat(path: name), .delimited) }
        for name in ["x.jsonl", "x.ndjson"] { XCTAssertEqual(try VectorFormat(path: name), .jsonl) }
        XCTAssertEqual(VectorFormat(name: "TSV"), .delimited)
        XCTAssertNil(VectorFormat(name: "parquet"))
    }

    func testUnknownExtension() {
        assertThrows(.unknownFormat(file: "dir.v2/items", reason: "no extension; expected .npy, .fvecs, .tsv, .csv, .txt, .jsonl or .ndjson (or name the format)")) {
            try VectorFormat(path: "dir.v2/items")
        }
        assertThrows(.unknownFormat(file: "x.bin", reason: "extension '.bin'; expected .npy, .fvecs, .tsv, .csv, .txt, .jsonl or .ndjson (or name the format)")) {
            try openVectorReader(path: "x.bin")
        }
    }

    func testErrorDescriptionsNameFileLocationAndValues() {
        XCTAssertEqual(IngestError.dimensionMismatch(file: "v.tsv", location: .line(3), expected: 128, got: 127).description,
                       "v.tsv, line 3: vector has 127 components, expected 128")
        XCTAssertEqual(IngestError.nonFinite(file: "v.npy", location: .row(5), column: 2).description,
                       "v.npy, row 5: vector component 2 (0-based) is NaN or infinite")
        XCTAssertEqual(IngestError.countMismatch(idsFile: "i.txt", ids: 2, vectorsFile: "v.npy", vectors: 3).description,
                       "ids file i.txt has 2 ids but vectors file v.npy has 3 vectors")
        XCTAssertEqual(IngestError.invalidID(file: "i.txt", location: .line(1), reason: .empty).description,
                       "i.txt, line 1: invalid id: empty id")
    }
}
