import XCTest
import Store
@testable import Ingest

final class HistoryReaderTests: XCTestCase {
    func readAllHistory(_ path: String, maxRows: Int = 100) throws -> [HistoryRecord] {
        let reader = try HistoryReader(path: path)
        var records: [HistoryRecord] = []
        var all: [HistoryRecord] = []
        while try reader.next(into: &records, maxRows: maxRows) { all += records }
        return all
    }

    func testWithHeaderAndTimestamps() throws {
        let files = try TestFiles()
        let p = try files.write("h.tsv", text: "user\titem\ttimestamp\n1\t10\t1700000000\nu2\tsku-9\t2024-01-02T00:00:01Z\n\n1\t11\t\n")
        XCTAssertEqual(try readAllHistory(p, maxRows: 2), [
            HistoryRecord(user: .number(1), item: .number(10), timestamp: 1_700_000_000, location: .line(2)),
            HistoryRecord(user: .string("u2"), item: .string("sku-9"), timestamp: 1_704_153_601, location: .line(3)),
            HistoryRecord(user: .number(1), item: .number(11), timestamp: nil, location: .line(5)),
        ])
    }

    func testWithoutTimestampsOrHeaderSpaceSeparated() throws {
        let files = try TestFiles()
        let p = try files.write("h.txt", text: "1 2\n3   4\n")
        XCTAssertEqual(try readAllHistory(p), [
            HistoryRecord(user: .number(1), item: .number(2), timestamp: nil, location: .line(1)),
            HistoryRecord(user: .number(3), item: .number(4), timestamp: nil, location: .line(2)),
        ])
    }

    func testTwoColumnHeaderAndCSV() throws {
        let files = try TestFiles()
        let p = try files.write("h.csv", text: "user_id,item_id\n5,6\n")
        XCTAssertEqual(try readAllHistory(p), [HistoryRecord(user: .number(5), item: .number(6), timestamp: nil, location: .line(2))])
    }

    func testErrors() throws {
        let files = try TestFiles()
        let p = try files.write("a.tsv", text: "1\t2\t3\n1\t2\tlater\n")
        let expected = "epoch seconds (years 1 to 9999; milliseconds? divide by 1000) or an ISO 8601 date"
        assertThrows(.typeMismatch(file: p, location: .line(2), field: "timestamp", expected: expected,
                                   got: "\"later\"")) { try readAllHistory(p) }
        // Epoch milliseconds are refused, not read as seconds 50,000 years ahead.
        let ms = try files.write("ms.tsv", text: "1\t2\t1700000000000\n")
        assertThrows(.typeMismatch(file: ms, location: .line(1), field: "timestamp", expected: expected,
                                   got: "\"1700000000000\"")) { try readAllHistory(ms) }
        // A first line that names no columns is data: its bad timestamp is an error, not a header.
        let first = try files.write("first.tsv", text: "u1\tx0\tyesterday\nu1\tx1\t5\n")
        assertThrows(.typeMismatch(file: first, location: .line(1), field: "timestamp", expected: expected,
                                   got: "\"yesterday\"")) { try readAllHistory(first) }
        let header = try files.write("header.tsv", text: "visitor\tsku\ttimestamp\nu1\tx1\t5\n")
        XCTAssertEqual(try readAllHistory(header), [HistoryRecord(user: .string("u1"), item: .string("x1"), timestamp: 5, location: .line(2))])
        let q = try files.write("b.tsv", text: "1\t2\t3\t4\n")
        assertThrows(.malformed(file: q, location: .line(1), reason: "line has 4 fields; expected user, item and an optional timestamp")) {
            try readAllHistory(q)
        }
        let r = try files.write("c.tsv", text: "1\t-2\n")
        assertThrows(.invalidID(file: r, location: .line(1), reason: .negativeOrSigned("-2"))) { try readAllHistory(r) }
    }
}
