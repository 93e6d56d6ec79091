import Foundation
import Store
import XCTest

/// The in-memory row -> id table: the same ids as LMDB, whole committed chunks only.
final class RowIDCacheTests: XCTestCase {
    private let chunk = RowIDCache.chunkRows

    private func makeStore(_ dir: TemporaryDirectory) throws -> EmbeddingStore {
        let store = try EmbeddingStore(path: dir.path, create: true)
        try store.write { w in _ = try w.initialize(dimension: 2, metric: .innerProduct) }
        return store
    }

    /// Creates rows for `ids` in order (no vectors needed) in one write.
    private func add(_ store: EmbeddingStore, _ ids: [ExternalID]) throws {
        try store.write { w in
            for id in ids { _ = try w.resolve(id, .item) }
        }
    }

    /// The first row whose id `externalID(ofRow:)` gives wrong, described; nil when all agree.
    private func firstWrongRow(_ store: EmbeddingStore, _ ids: [ExternalID]) throws -> String? {
        try store.read { r in
            for (row, id) in ids.enumerated() {
                let got = try r.externalID(ofRow: UInt32(row), .item)
                if got != id { return "row \(row): \(got), expected \(id)" }
            }
            return nil
        }
    }

    func testCachedIDsAreTheStoredOnesForNumbersAndStrings() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        // Chunk 0: numbers out of order; chunk 1: strings (short, long, non-ASCII, digits that
        // are not canonical) with a few numbers among them; then a partial chunk.
        var ids: [ExternalID] = (0 ..< chunk).map { .number(UInt64(($0 * 7_919) % chunk) << 20 | 5) }
        ids += (0 ..< chunk).map { i -> ExternalID in
            switch i % 5 {
            case 0: return .number(UInt64.max - UInt64(i))
            case 1: return .string("item-\(i)")
            case 2: return .string("a-rather-long-catalogue-identifier-\(i)-with-more-than-fifteen-bytes")
            case 3: return .string("é-\(i)-商品")
            default: return .string("00\(i)")
            }
        }
        ids += (0 ..< 123).map { .string("tail-\($0)") }
        try add(store, ids)
        XCTAssertEqual(store.itemIDs.cachedRows, 0)
        XCTAssertNil(try firstWrongRow(store, ids))

        XCTAssertEqual(try store.cacheRowIDs(), 2 * chunk, "two whole chunks; the partial one stays in LMDB")
        XCTAssertEqual(store.itemIDs.cachedRows, 2 * chunk)
        XCTAssertGreaterThanOrEqual(store.itemIDs.memoryBytes, 8 * chunk + 4 * chunk)
        XCTAssertNil(try firstWrongRow(store, ids))
        XCTAssertEqual(try store.cacheRowIDs(), 2 * chunk, "nothing new to copy")
        // An unknown row is still the store's error, not an id.
        XCTAssertThrowsError(try store.read { try $0.externalID(ofRow: UInt32(ids.count), .item) })
    }

    func testOnlyCommittedWholeChunksAreCached() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        try add(store, (0 ..< chunk - 1).map { .number(UInt64($0)) })
        XCTAssertEqual(try store.cacheRowIDs(), 0, "the chunk is one row short")

        // A write that completes the chunk and is undone: a reader during it sees the old rows,
        // and the row it made is given to another id afterwards.
        struct Undo: Error {}
        XCTAssertThrowsError(try store.write { w in
            _ = try w.resolve(.string("undone"), .item)
            final class Result: @unchecked Sendable { var rows = -1 }
            let during = Result()
            let thread = Thread { during.rows = (try? store.cacheRowIDs()) ?? -2 }
            thread.start()
            while !thread.isFinished { usleep(1_000) }
            XCTAssertEqual(during.rows, 0)
            throw Undo()
        })
        XCTAssertEqual(store.itemIDs.cachedRows, 0)
        try add(store, [.string("kept")])
        XCTAssertEqual(try store.cacheRowIDs(), chunk)
        XCTAssertEqual(try store.read { try $0.externalID(ofRow: UInt32(chunk - 1), .item) }, .string("kept"))
        XCTAssertEqual(try store.read { try $0.row(of: .string("undone"), .item) }, nil)
    }

    func testLookupsPastTheCacheExtendItByThemselves() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let store = try makeStore(dir)
        let ids: [ExternalID] = (0 ..< chunk + 10).map { .string("id\($0)") }
        try add(store, ids)
        XCTAssertEqual(store.itemIDs.cachedRows, 0)
        // Enough uncached lookups in one read snapshot copy the whole chunk.
        let read = try store.read { r in try (0 ..< 4_096).map { try r.externalID(ofRow: UInt32($0 * 16), .item) } }
        XCTAssertEqual(read, (0 ..< 4_096).map { ids[$0 * 16] })
        XCTAssertEqual(store.itemIDs.cachedRows, chunk)
        XCTAssertNil(try firstWrongRow(store, ids))
    }
}
