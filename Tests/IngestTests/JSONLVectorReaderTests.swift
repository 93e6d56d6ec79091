import XCTest
import Store
@testable import Ingest

final class JSONLVectorReaderTests: XCTestCase {
    func testVectorsIDsAndFeatures() throws {
        let files = try TestFiles()
        let text = """
        {"id": 12, "vector": [0.5, -1, 2e1], "features": {"category": "shoes", "price": 12.5, "tags": ["a", "b"], "added": "2024-01-02", "gone": null}}

        {"vector": [1,2,3], "id": "sku-\\u00e9"}
          {"id": "7", "vector": [ 0 , 0 , 1 ] , "brand": "acme", "new": true}
        """
        let p = try files.write("v.jsonl", text: text)
        let r = try readAll(p, maxRows: 2)
        XCTAssertEqual(r.batchSizes, [2, 1])
        XCTAssertEqual(r.ids, [.number(12), .string("sku-é"), .number(7)])
        XCTAssertEqual(r.vectors, [0.5, -1, 20, 1, 2, 3, 0, 0, 1])
        XCTAssertEqual(r.locations, [.line(1), .line(3), .line(4)])
        XCTAssertEqual(r.features, [
            FeatureRecord(id: .number(12), values: [
                FeatureField(name: "category", value: .categorical("shoes")),
                FeatureField(name: "price", value: .numeric(12.5)),
                FeatureField(name: "tags", value: .multiCategorical(["a", "b"])),
                FeatureField(name: "added", value: .timestamp(1_704_153_600)),
            ], location: .line(1)),
            FeatureRecord(id: .number(7), values: [
                FeatureField(name: "brand", value: .categorical("acme")),
                FeatureField(name: "new", value: .numeric(1)),
            ], location: .line(4)),
        ])
    }

    func testDeclaredKindsCoerce() throws {
        let files = try TestFiles()
        let p = try files.write("v.ndjson", text: #"{"id": 1, "vector": [1], "features": {"size": 42, "price": "9.5"}}"#)
        let r = try readAll(p, declaredKinds: ["size": .categorical, "price": .numeric])
        XCTAssertEqual(r.features.first?.values, [
            FeatureField(name: "size", value: .categorical("42")),
            FeatureField(name: "price", value: .numeric(9.5)),
        ])
    }

    func testRowNumbersWithoutIDs() throws {
        let files = try TestFiles()
        let p = try files.write("v.jsonl", text: "{\"vector\": [1]}\n{\"vector\": [2]}\n")
        XCTAssertEqual(try readAll(p).ids, [.number(0), .number(1)])
    }

    func testInvalidIDs() throws {
        let files = try TestFiles()
        let expected = "a non-negative integer or a string"
        let cases: [(String, IngestError)] = [
            (#"{"id": 1.5, "vector": [1]}"#,
             .typeMismatch(file: "", location: .line(2), field: "id", expected: expected, got: "number 1.5")),
            (#"{"id": null, "vector": [1]}"#,
             .typeMismatch(file: "", location: .line(2), field: "id", expected: expected, got: "null")),
            (#"{"id": -3, "vector": [1]}"#,
             .invalidID(file: "", location: .line(2), reason: .negativeOrSigned("-3"))),
            (#"{"id": "", "vector": [1]}"#,
             .invalidID(file: "", location: .line(2), reason: .empty)),
            (#"{"id": 18446744073709551616, "vector": [1]}"#,
             .invalidID(file: "", location: .line(2), reason: .overflow("18446744073709551616"))),
        ]
        for (k, (line, error)) in cases.enumerated() {
            let p = try files.write("bad\(k).jsonl", text: "{\"id\": 1, \"vector\": [1]}\n" + line + "\n")
            assertThrows(error.withFile(p)) { try readAll(p) }
        }
    }

    /// Every record has an id or none has: a mix would give the record without one another
    /// record's number as its id (and overwrite that item), silently.
    func testIDsOnSomeRecordsOnlyAreRefused() throws {
        let files = try TestFiles()
        let p = try files.write("m.jsonl", text: "{\"id\": 0, \"vector\": [9]}\n\n{\"vector\": [7]}\n")
        assertThrows(.malformed(file: p, location: .line(3), reason: "record has no \"id\" but the first record (line 1) has one: give every record an id, or none")) { try readAll(p) }
        let q = try files.write("n.jsonl", text: "{\"vector\": [9]}\n{\"id\": \"x\", \"vector\": [7]}\n")
        assertThrows(.malformed(file: q, location: .line(2), reason: "record has an \"id\" but the first record (line 1) has none: give every record an id, or none")) { try readAll(q) }
    }

    func testVectorErrors() throws {
        let files = try TestFiles()
        let p = try files.write("a.jsonl", text: "{\"vector\": [1, 2]}\n{\"vector\": [1, 2]}\n{\"vector\": [1]}\n")
        assertThrows(.dimensionMismatch(file: p, location: .line(3), expected: 2, got: 1)) { try readAll(p) }
        let q = try files.write("b.jsonl", text: "{\"vector\": [1, 2]}\n{\"vector\": [1, NaN]}\n")
        assertThrows(.nonFinite(file: q, location: .line(2), column: 1)) { try readAll(q) }
        let named = try files.write("e.jsonl", text: "{\"id\": 3, \"embedding\": [1, 2]}\n")
        assertThrows(.malformed(file: named, location: .line(1), reason: "member \"embedding\" holds 2 numbers: the vector must be named \"vector\"")) { try readAll(named) }
        let r = try files.write("c.jsonl", text: "{\"id\": 3}\n")
        assertThrows(.malformed(file: r, location: .line(1), reason: "object has no \"vector\"")) { try readAll(r) }
        let s = try files.write("d.jsonl", text: "{\"vector\": [1, 2}\n")
        assertThrows(.malformed(file: s, location: .line(1), reason: "expected ',' or ']' in the vector at column 17")) {
            try readAll(s)
        }
        let t = try files.write("e.jsonl", text: "{\"vector\": [1e39]}\n")
        assertThrows(.nonFinite(file: t, location: .line(1), column: 0)) { try readAll(t) }
    }

    func testFeatureTypeMismatch() throws {
        let files = try TestFiles()
        let p = try files.write("v.jsonl", text: #"{"vector": [1], "features": {"price": "cheap"}}"#)
        assertThrows(.typeMismatch(file: p, location: .line(1), field: "price", expected: "a finite number (numeric)",
                                   got: "string \"cheap\"")) { try readAll(p, declaredKinds: ["price": .numeric]) }
        let q = try files.write("w.jsonl", text: #"{"vector": [1], "features": {"tags": [1, "a"]}}"#)
        assertThrows(.typeMismatch(file: q, location: .line(1), field: "tags", expected: "an array of strings (multi-categorical)",
                                   got: "an array holding number 1")) { try readAll(q) }
    }

    func testIDKeyWithIdsFileIsRefused() throws {
        let files = try TestFiles()
        let p = try files.write("v.jsonl", text: "{\"id\": 1, \"vector\": [1]}\n")
        let ids = try files.write("ids.txt", text: "9\n")
        assertThrows(.malformed(file: p, location: .line(1), reason: "record has an \"id\" but ids come from \(ids)")) {
            try readAll(p, idsPath: ids)
        }
        let q = try files.write("w.jsonl", text: "{\"vector\": [1]}\n")
        XCTAssertEqual(try readAll(q, idsPath: ids).ids, [.number(9)])
    }
}

extension IngestError {
    /// The same error naming another file (for tables of cases written before the file exists).
    func withFile(_ file: String) -> IngestError {
        switch self {
        case .malformed(_, let l, let r): return .malformed(file: file, location: l, reason: r)
        case .invalidID(_, let l, let r): return .invalidID(file: file, location: l, reason: r)
        case .typeMismatch(_, let l, let f, let e, let g): return .typeMismatch(file: file, location: l, field: f, expected: e, got: g)
        case .nonFinite(_, let l, let c): return .nonFinite(file: file, location: l, column: c)
        case .dimensionMismatch(_, let l, let e, let g): return .dimensionMismatch(file: file, location: l, expected: e, got: g)
        default: return self
        }
    }
}
