import Foundation
@testable import Ranking
import Store
import TestSupport
import VectorMath
import XCTest

/// `ItemCatalog.updated` (patching from the store's change log) against `ItemCatalog.load`
/// on the same snapshot, field by field, over a sequence of random writes of every kind.
final class ItemCatalogUpdateTests: XCTestCase {
    static let dimension = 4
    static let labels = ["a", "b", "c", "d", "e"]

    private func makeStore(_ dir: TemporaryDirectory, items: Int, users: Int, popularityColumn: Bool,
                           random: inout SeededRandom) throws -> EmbeddingStore {
        let store = try EmbeddingStore(path: dir.path, create: true)
        try store.write { w in
            try w.initialize(dimension: Self.dimension, metric: .innerProduct)
            let ids = (0 ..< items).map { ExternalID.number(UInt64(1000 + $0)) }
            let vectors = (0 ..< items * Self.dimension).map { _ in Float(random.nextGaussian()) }
            try vectors.withUnsafeBufferPointer { _ = try w.upsertVectors(.item, ids: ids, vectors: $0) }
            for row in 0 ..< items {
                var values: [(name: String, value: FeatureValue)] = [("category", .categorical(Self.labels[row % 3]))]
                if row % 4 != 0 { values.append(("tags", .multiCategorical([Self.labels[row % 5], Self.labels[(row + 2) % 5]]))) }
                if row % 3 != 0 { values.append(("price", .numeric(Double(row) / 7))) }
                if row % 5 != 0 { values.append(("released", .timestamp(Int64(1_700_000_000 + row * 3600)))) }
                if popularityColumn && row % 6 != 0 { values.append(("popularity", .numeric(Double(row % 11) / 10))) }
                try w.setFeatures(row: UInt32(row), .item, values: values)
            }
            for u in 0 ..< users {
                let row = try w.resolve(.string("u\(u)"), .user).row
                try w.setFeatures(row: row, .user, values: [("segment", .categorical("s\(u % 2)"))])
                try w.appendHistory(user: row, entries: (0 ..< 3).map { j in
                    HistoryEntry(item: UInt32((u * 5 + j * 7) % items), timestamp: Int64(1_700_000_000 + j * 60))
                })
            }
        }
        return store
    }

    /// One random write: feature changes (same and different label counts, values added, popularity),
    /// new items with a new label, history entries (some repeated), a new user with a new segment.
    private func randomWrite(_ store: EmbeddingStore, step: Int, popularityColumn: Bool, random: inout SeededRandom) throws {
        try store.write { w in
            let items = w.counts.items
            let pick = { (r: inout SeededRandom) in UInt32(r.next() % UInt64(items)) }
            switch step % 5 {
            case 0:  // a category moves; tags keep their count
                for _ in 0 ..< 3 {
                    let row = pick(&random)
                    try w.setFeatures(row: row, .item, values: [("category", .categorical(Self.labels[Int(random.next() % 5)])),
                                                              ("tags", .multiCategorical(["a", "e"]))])
                }
            case 1:  // tags change their count; a price appears; an item's popularity moves it in the order
                let row = pick(&random)
                try w.setFeatures(row: row, .item, values: [("tags", .multiCategorical(["b", "c", "d"])), ("price", .numeric(99))])
                if popularityColumn {
                    try w.setFeatures(row: pick(&random), .item, values: [("popularity", .numeric(Double(random.next() % 11) / 10))])
                }
            case 2:  // new items, one with a label never seen
                for k in 0 ..< 2 {
                    let id = ExternalID.number(UInt64(5000 + step * 10 + k))
                    let v = (0 ..< Self.dimension).map { _ in Float(random.nextGaussian()) }
                    let row = try v.withUnsafeBufferPointer { try w.upsertVectors(.item, ids: [id], vectors: $0)[0] }
                    var values: [(name: String, value: FeatureValue)] = [("category", .categorical(k == 0 ? "new\(step)" : "a"))]
                    if popularityColumn { values.append(("popularity", .numeric(0.95))) }
                    try w.setFeatures(row: row, .item, values: values)
                }
            case 3:  // history entries, one repeated exactly (not added twice)
                let user = UInt32(random.next() % UInt64(w.counts.users))
                let item = pick(&random)
                try w.appendHistory(user: user, entries: [HistoryEntry(item: item, timestamp: 1_800_000_000),
                                                          HistoryEntry(item: item, timestamp: 1_800_000_000),
                                                          HistoryEntry(item: 0, timestamp: 1_800_000_100)])
            default:  // a new user with a new segment and a history
                let row = try w.resolve(.string("new-user-\(step)"), .user).row
                try w.setFeatures(row: row, .user, values: [("segment", .categorical("s-\(step)"))])
                try w.appendHistory(user: row, entries: [HistoryEntry(item: 0, timestamp: 1_800_000_000)])
            }
        }
    }

    /// The writes since `catalog` was loaded or patched, up to `reader`'s snapshot (the change log's span).
    private func changes(since catalog: ItemCatalog, _ store: EmbeddingStore, _ reader: StoreReader) throws -> StoreChanges {
        try XCTUnwrap(store.changeLog.changes(after: catalog.writeSequence, through: try reader.writeSequence()))
    }

    private func assertSame(_ a: ItemCatalog, _ b: ItemCatalog, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.itemCount, b.itemCount, context, file: file, line: line)
        XCTAssertEqual(a.userCount, b.userCount, context, file: file, line: line)
        XCTAssertEqual(a.writeSequence, b.writeSequence, context, file: file, line: line)
        XCTAssertEqual(a.itemColumns, b.itemColumns, context, file: file, line: line)
        XCTAssertEqual(a.userColumns, b.userColumns, context, file: file, line: line)
        XCTAssertEqual(a.categories?.column.name, b.categories?.column.name, context, file: file, line: line)
        XCTAssertEqual(Set(a.labelIndexes.keys), Set(b.labelIndexes.keys), context, file: file, line: line)
        for (name, x) in a.labelIndexes {
            guard let y = b.labelIndexes[name] else { continue }
            XCTAssertEqual(x.labels, y.labels, "\(context) \(name) labels", file: file, line: line)
            XCTAssertEqual(x.codesByLabel, y.codesByLabel, "\(context) \(name) codes by label", file: file, line: line)
            XCTAssertEqual(x.itemCount, y.itemCount, "\(context) \(name) items", file: file, line: line)
            XCTAssertEqual(x.chunks, y.chunks, "\(context) \(name) codes by item", file: file, line: line)
            XCTAssertEqual(x.postings, y.postings, "\(context) \(name) postings", file: file, line: line)
        }
        XCTAssertEqual(a.numericColumns.map(\.column), b.numericColumns.map(\.column), context, file: file, line: line)
        for (x, y) in zip(a.numericColumns, b.numericColumns) {
            XCTAssertEqual(x.values.map(\.bitPattern), y.values.map(\.bitPattern), "\(context) \(x.column.name)", file: file, line: line)
        }
        XCTAssertEqual(a.released, b.released, context, file: file, line: line)
        XCTAssertEqual(a.popularity.map(\.bitPattern), b.popularity.map(\.bitPattern), "\(context) popularity", file: file, line: line)
        XCTAssertEqual(a.popularityColumn, b.popularityColumn, context, file: file, line: line)
        XCTAssertEqual(a.historyCounts, b.historyCounts, context, file: file, line: line)
        XCTAssertEqual(a.popularOrder, b.popularOrder, "\(context) popular order", file: file, line: line)
        XCTAssertEqual(a.userLabels, b.userLabels, context, file: file, line: line)
    }

    private func runWrites(popularityColumn: Bool) throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var random = SeededRandom(seed: popularityColumn ? 11 : 12)
        let store = try makeStore(dir, items: 300, users: 20, popularityColumn: popularityColumn, random: &random)
        var catalog = try store.read { try ItemCatalog.load($0) }
        var patchedWrites = 0
        for step in 0 ..< 25 {
            try randomWrite(store, step: step, popularityColumn: popularityColumn, random: &random)
            // Sometimes two writes before the catalogue catches up (one span, several writes).
            if step % 7 == 3 { try randomWrite(store, step: step + 100, popularityColumn: popularityColumn, random: &random) }
            try store.read { reader in
                let span = try changes(since: catalog, store, reader)
                let fresh = try ItemCatalog.load(reader)
                let updated = try XCTUnwrap(try catalog.updated(reader, changes: span), "step \(step)")
                assertSame(updated, fresh, "step \(step)")
                catalog = updated
                patchedWrites += 1
            }
        }
        XCTAssertEqual(patchedWrites, 25)
    }

    func testUpdatedEqualsLoadWithHistoryPopularity() throws {
        try runWrites(popularityColumn: false)
    }

    func testUpdatedEqualsLoadWithAPopularityColumn() throws {
        try runWrites(popularityColumn: true)
    }

    /// A store with vectors only (no histories, no popularity column): every popularity is 0,
    /// and new items (the usual online write there) are patched in, equal to a load, the first
    /// history entries included.
    func testUpdatedEqualsLoadWithoutHistories() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var random = SeededRandom(seed: 13)
        let store = try makeStore(dir, items: 40, users: 0, popularityColumn: false, random: &random)
        var catalog = try store.read { try ItemCatalog.load($0) }
        XCTAssertEqual(catalog.historyMax, 0)
        for step in 0 ..< 4 {
            try store.write { w in
                let v = (0 ..< Self.dimension).map { _ in Float(random.nextGaussian()) }
                _ = try v.withUnsafeBufferPointer { try w.upsertVectors(.item, ids: [.string("v\(step)")], vectors: $0) }
                if step == 3 {
                    let user = try w.resolve(.string("first-user"), .user).row
                    try w.appendHistory(user: user, entries: [HistoryEntry(item: 5, timestamp: 1_800_000_000)])
                }
            }
            try store.read { reader in
                let span = try changes(since: catalog, store, reader)
                let updated = try XCTUnwrap(try catalog.updated(reader, changes: span), "step \(step)")
                assertSame(updated, try ItemCatalog.load(reader), "step \(step)")
                catalog = updated
            }
        }
        XCTAssertEqual(catalog.popularOrder.first(where: { _ in true }), 5, "the one item with a history entry")
    }

    /// A worker's ranker moved to the patched catalogue (`Ranker.rebind`) answers what a new
    /// ranker does, with buffers sized for labels the write added (a category cap counts them).
    func testAReboundRankerAnswersLikeANewOne() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var random = SeededRandom(seed: 21)
        let store = try makeStore(dir, items: 120, users: 6, popularityColumn: true, random: &random)
        let first = try Recommender(store: store)
        let ranker = first.makeRanker()
        var request = RankRequest(target: .user(.string("u1")), k: 10, candidates: 60)
        request.rules = BusinessRules(categoryCap: 2)
        request.mmr = MMROptions(lambda: 0.7, similarity: .jaccard)
        _ = try store.read { try ranker.rank($0, request) }  // buffers grown on the old catalogue
        try store.write { w in
            for row in 0 ..< UInt32(40) {
                try w.setFeatures(row: row, .item, values: [("category", .categorical("fresh\(row % 4)")), ("popularity", .numeric(2))])
            }
        }
        let updated = try store.read { reader in
            try XCTUnwrap(try first.catalog.updated(reader, changes: changes(since: first.catalog, store, reader)))
        }
        let second = try Recommender(catalog: updated, index: first.index)
        XCTAssertGreaterThan(updated.categories!.labelCount, first.catalog.categories!.labelCount)
        ranker.rebind(to: second)
        XCTAssertTrue(ranker.recommender === second)
        let rebound = try store.read { try ranker.rank($0, request) }
        let fresh = try store.read { try second.makeRanker().rank($0, request) }
        XCTAssertEqual(rebound.items.map(\.row), fresh.items.map(\.row))
        XCTAssertEqual(rebound.items.map(\.score), fresh.items.map(\.score))
        XCTAssertTrue(rebound.items.contains { $0.row < 40 }, "the new labels are in play")
    }

    func testANewColumnOrAnotherWriterMeansAFullLoad() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var random = SeededRandom(seed: 3)
        let store = try makeStore(dir, items: 50, users: 4, popularityColumn: false, random: &random)
        let catalog = try store.read { try ItemCatalog.load($0) }
        try store.write { w in try w.setFeatures(row: 1, .item, values: [("colour", .categorical("red"))]) }
        try store.read { reader in
            let span = try changes(since: catalog, store, reader)
            XCTAssertEqual(span.itemRows, [1])
            XCTAssertNil(try catalog.updated(reader, changes: span), "a new item column: the model may read it")
        }
        // A write through another EmbeddingStore object on the same directory is not in this log.
        let current = try store.read { try ItemCatalog.load($0) }
        let other = try EmbeddingStore(path: dir.path)
        try other.write { w in try w.setFeatures(row: 2, .item, values: [("category", .categorical("z"))]) }
        try store.write { w in try w.setFeatures(row: 3, .item, values: [("category", .categorical("a"))]) }
        let through = try store.read { try $0.writeSequence() }
        XCTAssertNil(store.changeLog.changes(after: current.writeSequence, through: through), "a gap: another writer")
        XCTAssertNotNil(store.changeLog.changes(after: through - 1, through: through))
        XCTAssertNil(store.changeLog.changes(after: through, through: through - 1))
    }

    func testTheLogCountsOnlyHistoryEntriesThatWereAdded() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var random = SeededRandom(seed: 4)
        let store = try makeStore(dir, items: 20, users: 2, popularityColumn: false, random: &random)
        let before = try store.read { try $0.writeSequence() }
        try store.write { w in
            try w.appendHistory(user: 0, entries: [HistoryEntry(item: 7, timestamp: 5), HistoryEntry(item: 7, timestamp: 5),
                                                   HistoryEntry(item: 0, timestamp: Int64(1_700_000_000))])  // already there
            try w.appendHistory(user: 1, entries: [HistoryEntry(item: 9, timestamp: 6)])
        }
        let changes = try XCTUnwrap(store.changeLog.changes(after: before, through: before + 1))
        XCTAssertEqual(changes.historyItems.sorted(), [7, 9])
        XCTAssertEqual(changes.itemRows, [])
    }
}
