import Foundation
import LMDB
import XCTest

final class EnvironmentTests: XCTestCase {
    var dir: String = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "lmdb-test-" + UUID().uuidString
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testPutGetDeleteAndReopen() throws {
        do {
            let env = try Environment(path: dir)
            let db = try env.openDatabase("t", create: true)
            try env.write { txn in
                try txn.put([1, 2, 3], forKey: Array("a".utf8), in: db)
                try txn.put([4], forKey: Array("b".utf8), in: db)
            }
            try env.write { txn in XCTAssertTrue(try txn.delete(key: Array("b".utf8), in: db)) }
            try env.write { txn in XCTAssertFalse(try txn.delete(key: Array("zz".utf8), in: db)) }
        }
        let env = try Environment(path: dir)
        let db = try env.openDatabase("t", create: false)
        try env.read { txn in
            XCTAssertEqual(try txn.bytes(forKey: Array("a".utf8), in: db), [1, 2, 3])
            XCTAssertNil(try txn.bytes(forKey: Array("b".utf8), in: db))
            XCTAssertEqual(try txn.statistics(of: db).entries, 1)
        }
    }

    func testMissingDatabaseIsNotFoundByCode() throws {
        let env = try Environment(path: dir)
        XCTAssertThrowsError(try env.openDatabase("absent", create: false)) { error in
            XCTAssertEqual(error as? LMDBError, .notFound)
        }
        XCTAssertEqual(LMDBError(code: -30792), .mapFull)
        XCTAssertEqual(LMDBError.mapFull.code, -30792)
        XCTAssertEqual(LMDBError(code: 2), .system(code: 2))
    }

    func testNoOverwriteReportsKeyExists() throws {
        let env = try Environment(path: dir)
        let db = try env.openDatabase("t", create: true)
        try env.write { try $0.put([1], forKey: [9], in: db) }
        XCTAssertThrowsError(try env.write { try $0.put([2], forKey: [9], in: db, flags: .noOverwrite) }) {
            XCTAssertEqual($0 as? LMDBError, .keyExists)
        }
        try env.read { XCTAssertEqual(try $0.bytes(forKey: [9], in: db), [1]) }
    }

    func testAbortedWriteLeavesPreviousState() throws {
        struct Boom: Error {}
        let env = try Environment(path: dir)
        let db = try env.openDatabase("t", create: true)
        try env.write { try $0.put([1], forKey: [1], in: db) }
        XCTAssertThrowsError(try env.write { txn in
            try txn.put([2], forKey: [1], in: db)
            try txn.put([3], forKey: [2], in: db)
            throw Boom()
        })
        try env.read { txn in
            XCTAssertEqual(try txn.bytes(forKey: [1], in: db), [1])
            XCTAssertNil(try txn.bytes(forKey: [2], in: db))
        }
    }

    func testReaderKeepsItsSnapshotWhileWriterCommits() throws {
        let env = try Environment(path: dir)
        let db = try env.openDatabase("t", create: true)
        try env.write { try $0.put([1], forKey: [0], in: db) }
        let reader = try env.beginTransaction(readOnly: true)
        try env.write { try $0.put([2], forKey: [0], in: db) }
        XCTAssertEqual(try reader.bytes(forKey: [0], in: db), [1], "old snapshot")
        reader.reset()
        try reader.renew()
        XCTAssertEqual(try reader.bytes(forKey: [0], in: db), [2], "renewed snapshot")
        reader.abort()
    }

    func testMapGrowsWhenFull() throws {
        var options = Environment.Options()
        options.mapSize = 1 << 20
        let env = try Environment(path: dir, options: options)
        let db = try env.openDatabase("t", create: true)
        let value = [UInt8](repeating: 7, count: 256 * 1024)
        try env.write { txn in
            for i in 0..<40 { try txn.put(value, forKey: [UInt8(i)], in: db) }
        }
        XCTAssertGreaterThan(env.info.mapSize, 1 << 20)
        try env.read { txn in
            XCTAssertEqual(try txn.statistics(of: db).entries, 40)
            XCTAssertEqual(try txn.bytes(forKey: [39], in: db)?.count, value.count)
        }
    }

    func testReserveAndCursorPrefixScan() throws {
        let env = try Environment(path: dir)
        let db = try env.openDatabase("t", create: true)
        try env.write { txn in
            for (prefix, n) in [(UInt8(1), 3), (2, 4), (3, 1)] {
                for i in 0..<n {
                    let key: [UInt8] = [prefix, UInt8(i)]
                    try key.withUnsafeBytes { k in
                        try txn.reserve(2, forKey: k, in: db) { buf in buf[0] = prefix; buf[1] = UInt8(i * 10) }
                    }
                }
            }
        }
        var seen: [[UInt8]] = []
        try env.read { txn in
            try txn.withCursor(db) { cursor in
                try cursor.forEach(prefix: [2]) { entry in
                    seen.append(Array(entry.value))
                    return true
                }
            }
        }
        XCTAssertEqual(seen, [[2, 0], [2, 10], [2, 20], [2, 30]])
    }

    func testWriteMapBulkLoadIsTrimmedToThePagesInUse() throws {
        var options = Environment.Options()
        options.writeMap = true
        options.mapSize = 64 << 20
        do {
            let env = try Environment(path: dir, options: options)
            let db = try env.openDatabase("t", create: true)
            try env.write { txn in
                for i in 0..<100 { try txn.put([UInt8](repeating: UInt8(i), count: 10_000), forKey: [UInt8(i)], in: db) }
            }
            let file = dir + "/data.mdb"
            XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int, 64 << 20, "LMDB sized the file to the map")
            let used = env.usedBytes
            try env.closeTrimmingFile()
            XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int, used)
        }
        let env = try Environment(path: dir)
        let db = try env.openDatabase("t", create: false)
        try env.read { txn in
            XCTAssertEqual(try txn.statistics(of: db).entries, 100)
            XCTAssertEqual(try txn.bytes(forKey: [99], in: db), [UInt8](repeating: 99, count: 10_000))
        }
        try env.write { txn in try txn.put([1], forKey: [200], in: db) }  // and it still takes writes
    }
}
