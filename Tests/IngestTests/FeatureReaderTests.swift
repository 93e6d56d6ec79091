import XCTest
import Store
@testable import Ingest

final class FeatureReaderTests: XCTestCase {
    func readAllFeatures(_ path: String, declaredKinds: [String: FeatureKind] = [:], maxRows: Int = 100) throws -> [FeatureRecord] {
        let reader = try FeatureReader(path: path, declaredKinds: declaredKinds)
        var records: [FeatureRecord] = []
        var all: [FeatureRecord] = []
        while try reader.next(into: &records, maxRows: maxRows) {
            XCTAssertLessThanOrEqual(records.count, maxRows)
            all += records
        }
        XCTAssertEqual(reader.bytesRead, reader.totalBytes)
        return all
    }

    func testJSONLNestedAndFlatInference() throws {
        let files = try TestFiles()
        let text = """
        {"id": 1, "features": {"cat": "shoes", "price": 10, "tags": ["x", "y"], "seen": "2024-03-01T12:00:00Z", "on": false}}
        {"id": "u-2", "cat": "hats", "price": null, "vector": [1, 2], "tags": [], "at": "2024-03-01T12:00:00.5+02:00"}
        """
        let p = try files.write("f.jsonl", text: text)
        let records = try readAllFeatures(p, maxRows: 1)
        XCTAssertEqual(records, [
            FeatureRecord(id: .number(1), values: [
                FeatureField(name: "cat", value: .categorical("shoes")),
                FeatureField(name: "price", value: .numeric(10)),
                FeatureField(name: "tags", value: .multiCategorical(["x", "y"])),
                FeatureField(name: "seen", value: .timestamp(1_709_294_400)),
                FeatureField(name: "on", value: .numeric(0)),
            ], location: .line(1)),
            FeatureRecord(id: .string("u-2"), values: [
                FeatureField(name: "cat", value: .categorical("hats")),
                FeatureField(name: "tags", value: .multiCategorical([])),
                FeatureField(name: "at", value: .timestamp(1_709_294_400 - 7200)),
            ], location: .line(2)),
        ])
    }

    func testJSONLDeclaredKinds() throws {
        let files = try TestFiles()
        let p = try files.write("f.jsonl", text: #"{"id": 3, "price": "12.5", "when": 1700000000.9, "zip": 12345, "genre": "drama", "flag": true}"#)
        let kinds: [String: FeatureKind] = ["price": .numeric, "when": .timestamp, "zip": .categorical,
                                            "genre": .multiCategorical, "flag": .numeric]
        XCTAssertEqual(try readAllFeatures(p, declaredKinds: kinds).first?.values, [
            FeatureField(name: "price", value: .numeric(12.5)),
            FeatureField(name: "when", value: .timestamp(1_700_000_000)),
            FeatureField(name: "zip", value: .categorical("12345")),
            FeatureField(name: "genre", value: .multiCategorical(["drama"])),
            FeatureField(name: "flag", value: .numeric(1)),
        ])
    }

    func testJSONLTypeMismatches() throws {
        let files = try TestFiles()
        let p = try files.write("f.jsonl", text: "{\"id\": 1}\n{\"id\": 2, \"when\": \"soon\"}\n")
        assertThrows(.typeMismatch(file: p, location: .line(2), field: "when",
                                   expected: "epoch seconds (years 1 to 9999; milliseconds? divide by 1000) or an ISO 8601 date (timestamp)", got: "string \"soon\"")) {
            try readAllFeatures(p, declaredKinds: ["when": .timestamp])
        }
        let ms = try files.write("ms.jsonl", text: #"{"id": 1, "when": 1709294400000}"#)
        assertThrows(.typeMismatch(file: ms, location: .line(1), field: "when",
                                   expected: "epoch seconds (years 1 to 9999; milliseconds? divide by 1000) or an ISO 8601 date (timestamp)",
                                   got: "number 1709294400000")) {
            try readAllFeatures(ms, declaredKinds: ["when": .timestamp])
        }
        let q = try files.write("g.jsonl", text: #"{"id": 1, "dims": {"w": 1}}"#)
        assertThrows(.typeMismatch(file: q, location: .line(1), field: "dims",
                                   expected: "a number, string, boolean or array of strings", got: "an object")) {
            try readAllFeatures(q)
        }
        let r = try files.write("h.jsonl", text: #"{"id": 1, "price": [1]}"#)
        assertThrows(.typeMismatch(file: r, location: .line(1), field: "price", expected: "a finite number (numeric)",
                                   got: "array of 1")) { try readAllFeatures(r, declaredKinds: ["price": .numeric]) }
        let s = try files.write("i.jsonl", text: #"{"features": {"a": 1}}"#)
        assertThrows(.malformed(file: s, location: .line(1), reason: "object has no \"id\"")) { try readAllFeatures(s) }
    }

    func testCSVHeaderKindsAndInference() throws {
        let files = try TestFiles()
        let text = """
        id,genre:multi,price:num,added,color,tags,year:cat,score
        1,drama|comedy,12.5,2023-12-31,red,a|b,1999,0.5
        sku-2,drama,7,,"blue, dark",,2001,
        """
        let p = try files.write("f.csv", text: text)
        let reader = try FeatureReader(path: p)
        var records: [FeatureRecord] = []
        XCTAssertTrue(try reader.next(into: &records, maxRows: 10))
        XCTAssertEqual(reader.columnNames, ["genre", "price", "added", "color", "tags", "year", "score"])
        XCTAssertEqual(records, [
            FeatureRecord(id: .number(1), values: [
                FeatureField(name: "genre", value: .multiCategorical(["drama", "comedy"])),
                FeatureField(name: "price", value: .numeric(12.5)),
                FeatureField(name: "added", value: .timestamp(1_703_980_800)),
                FeatureField(name: "color", value: .categorical("red")),
                FeatureField(name: "tags", value: .multiCategorical(["a", "b"])),
                FeatureField(name: "year", value: .categorical("1999")),
                FeatureField(name: "score", value: .numeric(0.5)),
            ], location: .line(2)),
            FeatureRecord(id: .string("sku-2"), values: [
                FeatureField(name: "genre", value: .multiCategorical(["drama"])),
                FeatureField(name: "price", value: .numeric(7)),
                FeatureField(name: "color", value: .categorical("blue, dark")),
                FeatureField(name: "year", value: .categorical("2001")),
            ], location: .line(3)),
        ])
        XCTAssertFalse(try reader.next(into: &records, maxRows: 10))
    }

    /// A kind in the header and a declared kind (`--feature-kind`) for the same column must
    /// agree: a conflict is refused naming the column and both kinds, not settled silently.
    func testTSVHeaderKindAndDeclaredKind() throws {
        let files = try TestFiles()
        let p = try files.write("f.tsv", text: "id\tcode:num\twhen:time\tname\n5\t12\t1700000000\tA1\n")
        XCTAssertEqual(try readAllFeatures(p, declaredKinds: ["code": .numeric, "name": .multiCategorical]).first?.values, [
            FeatureField(name: "code", value: .numeric(12)),
            FeatureField(name: "when", value: .timestamp(1_700_000_000)),
            FeatureField(name: "name", value: .multiCategorical(["A1"])),
        ])
        let conflict = IngestError.kindConflict(file: p, location: .line(1), column: "code", header: .numeric, declared: .categorical)
        assertThrows(conflict) { try readAllFeatures(p, declaredKinds: ["code": .categorical]) }
        XCTAssertEqual(conflict.description,
                       "\(p), line 1: column 'code' is numeric in the header but declared categorical (--feature-kind): give one kind, or the same in both")
        let q = try files.write("g.tsv", text: "id\tcode:num\n5\tA1\n")
        assertThrows(.typeMismatch(file: q, location: .line(2), field: "code", expected: "a finite number (numeric)",
                                   got: "\"A1\"")) { try readAllFeatures(q) }
    }

    /// A JSONL feature given twice (flat and under "features", or twice in one place) is
    /// refused naming the line and the key: which value to keep would be a guess.
    func testJSONLFeatureGivenTwice() throws {
        let files = try TestFiles()
        let p = try files.write("f.jsonl", text: "{\"id\": 1, \"price\": 3}\n{\"id\": 2, \"price\": 3, \"features\": {\"price\": 4}}\n")
        assertThrows(.malformed(file: p, location: .line(2), reason: "feature \"price\" is given both in \"features\" and at the top level")) {
            try readAllFeatures(p)
        }
        let q = try files.write("g.jsonl", text: #"{"features": {"tag": null}, "id": 1, "tag": "x"}"#)
        assertThrows(.malformed(file: q, location: .line(1), reason: "feature \"tag\" is given both in \"features\" and at the top level")) {
            try readAllFeatures(q)
        }
        let r = try files.write("h.jsonl", text: #"{"id": 1, "features": {"a": 1, "a": 2}}"#)
        assertThrows(.malformed(file: r, location: .line(1), reason: "feature \"a\" appears twice in \"features\"")) { try readAllFeatures(r) }
        let s = try files.write("i.jsonl", text: #"{"id": 1, "a": 1, "a": 2}"#)
        assertThrows(.malformed(file: s, location: .line(1), reason: "feature \"a\" appears twice")) { try readAllFeatures(s) }
        let t = try files.write("j.jsonl", text: #"{"id": 1, "features": {"a": 1}, "features": {"b": 2}}"#)
        assertThrows(.malformed(file: t, location: .line(1), reason: "duplicate key \"features\" at column 44")) { try readAllFeatures(t) }
        let v = try files.write("v.jsonl", text: #"{"id": 1, "vector": [1, 2], "a": 1, "features": {"a": 2}}"#)
        assertThrows(.malformed(file: v, location: .line(1), reason: "feature \"a\" is given both in \"features\" and at the top level")) {
            try readAll(v)
        }
    }

    /// Spaces around a CSV id are not part of it; a JSON string id is taken exactly.
    func testSpacesAroundCSVIDs() throws {
        let files = try TestFiles()
        let p = try files.write("f.csv", text: "id,c\n 42 ,x\n\"7 \",y\n")
        XCTAssertEqual(try readAllFeatures(p).map(\.id), [.number(42), .number(7)])
        let q = try files.write("f.jsonl", text: #"{"id": " 42", "c": "x"}"#)
        XCTAssertEqual(try readAllFeatures(q).map(\.id), [.string(" 42")])
    }

    /// An inferred number with a leading zero is a label (zip codes, product codes keep their zeros).
    func testLeadingZerosInferALabel() throws {
        let files = try TestFiles()
        let p = try files.write("zip.csv", text: "id,zip,n,z\nx0,02134,0.5,0\n")
        XCTAssertEqual(try readAllFeatures(p).first?.values, [
            FeatureField(name: "zip", value: .categorical("02134")), FeatureField(name: "n", value: .numeric(0.5)),
            FeatureField(name: "z", value: .numeric(0)),
        ])
    }

    func testCSVErrors() throws {
        let files = try TestFiles()
        let p = try files.write("a.csv", text: "id,price\n1,2\n2\n")
        assertThrows(.malformed(file: p, location: .line(3), reason: "line has 1 fields, the header has 2")) { try readAllFeatures(p) }
        let q = try files.write("b.csv", text: "id,price:money\n")
        assertThrows(.malformed(file: q, location: .line(1),
                                reason: "header column 'price:money' names unknown kind 'money'; expected categorical (cat), multi (multi-categorical), numeric (num) or timestamp (time)")) {
            try readAllFeatures(q)
        }
        let r = try files.write("c.csv", text: "id,x\n-1,2\n")
        assertThrows(.invalidID(file: r, location: .line(2), reason: .negativeOrSigned("-1"))) { try readAllFeatures(r) }
        let s = try files.write("d.csv", text: "id,x,x\n")
        assertThrows(.malformed(file: s, location: .line(1), reason: "header names column 'x' twice")) { try readAllFeatures(s) }
    }

    func testUnknownExtension() throws {
        let files = try TestFiles()
        let p = try files.write("f.parquet", text: "")
        assertThrows(.unknownFormat(file: p, reason: "extension '.parquet'; expected .jsonl, .ndjson, .csv, .tsv or .txt for features")) {
            try FeatureReader(path: p)
        }
    }
}
