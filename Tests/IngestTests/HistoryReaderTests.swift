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
        assertThrows(.typeMismatch(file: p, location: .line(2), field: "timestamp", expected: "epoch seconds or an ISO 8601 date",
                                   got: "\"later\"")) { try readAllHistory(p) }
        let q = try files.write("b.tsv", text: "1\t2\t3\t4\n")
        assertThrows(.malformed(file: q, location: .line(1), reason: "line has 4 fields; expected user, item and an optional timestamp")) {
            try readAllHistory(q)
        }
        let r = try files.write("c.tsv", text: "1\t-2\n")
        assertThrows(.invalidID(file: r, location: .line(1), reason: .negativeOrSigned("-2"))) { try readAllHistory(r) }
    }
}
