import XCTest
@testable import Ingest

final class NumberScannerTests: XCTestCase {
    func scan(_ text: String) -> (Float, Int)? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { NumberScanner.scanFloat($0, from: 0, end: $0.count) }
    }

    /// Compares against Float(String) (strtof, correctly rounded) on random decimals of many
    /// shapes, including Float midpoints printed exactly.
    func testMatchesFloatInitOnRandomDecimals() {
        var rng = SystemRandomNumberGenerator()
        var texts: [String] = []
        for _ in 0..<20_000 {
            let f = Float(bitPattern: UInt32.random(in: 0 ..< 0x7F80_0000, using: &rng))
            texts.append("\(f)")
            texts.append(String(Double(f) * Double.random(in: 0.9 ... 1.1, using: &rng)))
            let midpoint = (Double(f) + Double(f.nextUp)) / 2
            texts.append(String(midpoint))
            let digits = Int.random(in: 1 ... 12, using: &rng)
            let mantissa = String(UInt64.random(in: 0 ..< 1_000_000_000_000, using: &rng)).prefix(digits)
            let point = Int.random(in: 0 ... digits, using: &rng)
            let m = String(mantissa)
            let decimal = m.prefix(point) + "." + m.dropFirst(point)
            texts.append("-" + decimal + "e" + String(Int.random(in: -30 ... 30, using: &rng)))
        }
        texts += ["16777217", "16777219", "0.000000059604644775390625", "3.4028235677973366e38", "1e39", "1e-50",
                  "4.9e-324", "0.0000000000000000000000000000000000000000000014012984643248171"]
        var mismatches = 0
        for text in texts {
            guard let expected = Float(text), let (got, next) = scan(text) else {
                XCTFail("unparsed \(text)")
                continue
            }
            XCTAssertEqual(next, text.utf8.count, text)
            if got.bitPattern != expected.bitPattern {
                mismatches += 1
                if mismatches < 10 { XCTFail("\(text): got \(got), Float() gives \(expected)") }
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testSpecialsAndStops() {
        XCTAssertEqual(scan("nan")?.0.isNaN, true)
        XCTAssertEqual(scan("-Infinity")?.0, -.infinity)
        XCTAssertEqual(scan("INF")?.0, .infinity)
        XCTAssertEqual(scan("1e")?.1, 1)
        XCTAssertEqual(scan("2.5x")?.1, 3)
        XCTAssertNil(scan("."))
        XCTAssertNil(scan("-"))
        XCTAssertNil(scan(".inf"))
        XCTAssertNil(scan("abc"))
    }

    func testParseDecimal() {
        XCTAssertEqual(NumberScanner.parseDecimal("12.5"), 12.5)
        XCTAssertEqual(NumberScanner.parseDecimal("-1e3"), -1000)
        XCTAssertNil(NumberScanner.parseDecimal("0x1A"))
        XCTAssertNil(NumberScanner.parseDecimal("nan"))
        XCTAssertNil(NumberScanner.parseDecimal("1e999"))
        XCTAssertNil(NumberScanner.parseDecimal("12a"))
        XCTAssertNil(NumberScanner.parseDecimal(""))
    }

    func testISO8601() {
        XCTAssertEqual(ISO8601.parse("1970-01-01"), 0)
        XCTAssertEqual(ISO8601.parse("2000-02-29T23:59:59Z"), 951_868_799)
        XCTAssertEqual(ISO8601.parse("2024-01-02T03:04:05.678+05:30"), 1_704_164_645 - 19_800)
        XCTAssertEqual(ISO8601.parse("2024-01-02 03:04:05"), 1_704_164_645)
        XCTAssertEqual(ISO8601.parse("1969-12-31T23:59:59-0000"), -1)
        XCTAssertNil(ISO8601.parse("2023-02-29"))
        XCTAssertNil(ISO8601.parse("2024-13-01"))
        XCTAssertNil(ISO8601.parse("2024-01-02T24:00:00Z"))
        XCTAssertNil(ISO8601.parse("2024-01-02T03:04"))
        XCTAssertNil(ISO8601.parse("2024-1-2"))
        XCTAssertNil(ISO8601.parse("2024-01-02Tx"))
    }
}
