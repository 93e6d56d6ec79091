import XCTest
@testable import Ingest

final class JSONScannerTests: XCTestCase {
    func parse(_ text: String) throws -> JSONValue {
        let bytes = Array(text.utf8) + [0]
        return try bytes.withUnsafeBytes { raw in
            var scanner = JSONScanner(bytes: UnsafeRawBufferPointer(rebasing: raw[0 ..< raw.count - 1]), file: "t", line: 1)
            let value = try scanner.parseValue()
            try scanner.expectEnd()
            return value
        }
    }

    func testValues() throws {
        XCTAssertEqual(try parse(#" {"a": [1, -2.5e3, true, false, null], "b": {}, "c": [] } "#), .object([
            ("a", .array([.number(1, text: "1"), .number(-2500, text: "-2.5e3"), .bool(true), .bool(false), .null])),
            ("b", .object([])),
            ("c", .array([])),
        ]))
    }

    func testStringEscapes() throws {
        XCTAssertEqual(try parse(#""a\"b\\c\/d\n\t\u00e9\u4e2d\ud83d\ude00""#), .string("a\"b\\c/d\n\té中😀"))
        XCTAssertEqual(try parse(#""plain é""#), .string("plain é"))
    }

    func testErrorsNameTheColumn() {
        let cases: [(String, String)] = [
            (#"{"a" 1}"#, "expected ':' after key at column 6"),
            (#"[1, 2"#, "expected ',' or ']' in array at column 6"),
            (#""\ud800""#, "lone surrogate in \\u escape at column 8"),
            (#""\x""#, "unknown escape '\\x' at column 4"),
            (#"01"#, "unexpected text after the JSON value at column 2"),
            (#"1."#, "expected digits after '.' at column 3"),
            (#"tru"#, "unexpected end of line at column 1"),
            ("\"a\u{01}\"", "control character in string at column 3"),
            (#"{"a": 1} x"#, "unexpected text after the JSON value at column 10"),
        ]
        for (text, reason) in cases {
            assertThrows(.malformed(file: "t", location: .line(1), reason: reason)) { try parse(text) }
        }
    }

    func testDeepNestingIsRefused() {
        let text = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        assertThrows(.malformed(file: "t", location: .line(1), reason: "nesting deeper than 64 at column 66")) { try parse(text) }
    }

    func testFloatArray() throws {
        let bytes = Array("[1, -0.5 ,3e2,Infinity]".utf8)
        var out: [Float] = [9]
        let n = try bytes.withUnsafeBytes { raw -> Int in
            var scanner = JSONScanner(bytes: raw, file: "t", line: 1)
            return try scanner.parseFloatArray(into: &out)
        }
        XCTAssertEqual(n, 4)
        XCTAssertEqual(out, [9, 1, -0.5, 300, .infinity])
    }
}
