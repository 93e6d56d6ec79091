import Foundation
import Store
import XCTest

/// The store's change log: what each write through this object touched, bounded, and a write
/// too big to list answered as a gap (caches then reload).
final class StoreChangeLogTests: XCTestCase {
    private func makeStore(_ dir: TemporaryDirectory, items: Int) throws -> EmbeddingStore {
        let store = try EmbeddingStore(path: dir.path, create: true)
        try store.write { w in
            try w.initialize(dimension: 2, metric: .innerProduct)
            let vectors = [Float](repeating: 1, count: items * 2)
            try vectors.withUnsafeBufferPointer { _ = try w.upsertVectors(.item, ids: (0 ..< items).map { .number(UInt64($0)) }, vectors: $0) }
            _ = try w.resolve(.string("u"), .user)
        }
        return store
    }

    func testSpansListTheTouchedRowsUntilTheOldestAreDropped() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir, items: 10)
        let start = try store.read { try $0.writeSequence() }
        try store.write { w in try w.setFeatures(row: 3, .item, values: [("c", .categorical("x"))]) }
        try store.write { w in
            try w.setFeatures(row: 1, .item, values: [("c", .categorical("y"))])
            try w.appendHistory(user: 0, entries: [HistoryEntry(item: 4, timestamp: 1), HistoryEntry(item: 4, timestamp: 2)])
        }
        XCTAssertEqual(store.changeLog.changes(after: start, through: start + 2),
                       StoreChanges(after: start, through: start + 2, itemRows: [1, 3], historyItems: [4, 4]))
        XCTAssertNil(store.changeLog.changes(after: start, through: start + 3), "a write not made yet")
        // Past the capacity, the oldest writes are dropped: a span reaching back to them reloads.
        for i in 0 ..< StoreChangeLog.capacity {
            try store.write { w in try w.setFeatures(row: UInt32(i % 10), .item, values: [("n", .numeric(Double(i)))]) }
        }
        let now = try store.read { try $0.writeSequence() }
        XCTAssertNil(store.changeLog.changes(after: start, through: now))
        XCTAssertEqual(store.changeLog.changes(after: now - 10, through: now)?.itemRows, (0 ..< 10).map(UInt32.init))
    }

    func testAWriteTooBigToListIsAGap() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir, items: 10)
        let start = try store.read { try $0.writeSequence() }
        let many = (0 ... 1 << 20).map { HistoryEntry(item: UInt32($0 % 10), timestamp: Int64($0)) }
        try store.write { w in try w.appendHistory(user: 0, entries: many) }
        try store.write { w in try w.appendHistory(user: 0, entries: [HistoryEntry(item: 2, timestamp: -5)]) }
        XCTAssertNil(store.changeLog.changes(after: start, through: start + 2), "a million entries: not listed")
        XCTAssertEqual(store.changeLog.changes(after: start + 1, through: start + 2)?.historyItems, [2])
    }
}
