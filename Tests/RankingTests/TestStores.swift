import Foundation
import Ranking
import Store
import TestSupport
import VectorIndex
import XCTest

/// A directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "ranking") {
        path = NSTemporaryDirectory() + "\(label)-" + UUID().uuidString
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Stores for the ranking tests.
enum TestStores {
    static let day: Int64 = 86_400
    /// Wednesday 2023-11-15, 10:00 UTC (day 19676 since 1970; 19676 is a Wednesday).
    static let now: Int64 = 19_676 * 86_400 + 10 * 3600

    /// Five 2-d items and one user, small enough to compute every feature by hand:
    ///
    /// | row | id | vector | categories | popularity | released | price |
    /// |---|---|---|---|---|---|---|
    /// | 0 | 100 | (1, 0) | a | 0.9 | now - 10 d | 10 |
    /// | 1 | 101 | (0, 1) | b | 0.5 | now - 100 d | 20 |
    /// | 2 | 102 | (1, 1) | a, b | 0.1 | now - 1 d | 30 |
    /// | 3 | 103 | (-1, 0) | c | 0.3 | now - 400 d | 40 |
    /// | 4 | 104 | (0.5, -0.5) | c, a | 0.7 | now - 20 d | 50 |
    /// | 5 | 105 | (0, 0.5) | (no features) | | | |
    ///
    /// User `u0` (row 0): vector (2, 1), activity 0.25, segment s1; history 100 at now - 5 d
    /// (10:00), 101 at now - 2 d + 1 h (11:00), 102 at now - 12 h (22:00).
    /// User `u1` (row 1): no vector, history 100 at now - 3 d. User `u2` (row 2): features only.
    static func tiny(at path: String) throws -> EmbeddingStore {
        let store = try EmbeddingStore(path: path, create: true)
        try store.write { w in
            try w.initialize(dimension: 2, metric: .innerProduct)
            let items: [Float] = [1, 0, 0, 1, 1, 1, -1, 0, 0.5, -0.5, 0, 0.5]
            _ = try items.withUnsafeBufferPointer { try w.upsertVectors(.item, ids: (100 ... 105).map { .number(UInt64($0)) }, vectors: $0) }
            let rows: [(cats: [String], pop: Double, ageDays: Int64, price: Double)] = [
                (["a"], 0.9, 10, 10), (["b"], 0.5, 100, 20), (["a", "b"], 0.1, 1, 30), (["c"], 0.3, 400, 40), (["c", "a"], 0.7, 20, 50),
            ]
            for (row, r) in rows.enumerated() {
                try w.setFeatures(row: UInt32(row), .item, values: [
                    ("categories", .multiCategorical(r.cats)), ("popularity", .numeric(r.pop)),
                    ("released", .timestamp(now - r.ageDays * day)), ("price", .numeric(r.price)),
                ])
            }
            let user: [Float] = [2, 1]
            _ = try user.withUnsafeBufferPointer { try w.upsertVectors(.user, ids: [.string("u0")], vectors: $0) }
            try w.setFeatures(row: 0, .user, values: [("activity", .numeric(0.25)), ("segment", .categorical("s1"))])
            try w.appendHistory(user: 0, entries: [
                HistoryEntry(item: 0, timestamp: now - 5 * day), HistoryEntry(item: 1, timestamp: now - 2 * day + 3600),
                HistoryEntry(item: 2, timestamp: now - day / 2),
            ])
            let u1 = try w.resolve(.string("u1"), .user).row
            try w.appendHistory(user: u1, entries: [HistoryEntry(item: 0, timestamp: now - 3 * day)])
            let u2 = try w.resolve(.string("u2"), .user).row
            try w.setFeatures(row: u2, .user, values: [("segment", .categorical("s2"))])
        }
        return store
    }

    static let smallSpec = DemoCatalogSpec(items: 3000, users: 300, dimension: 16, categories: 10, historyMean: 20, seed: 7)

    /// The demo catalogue written straight into a store (item row i = item i, user row u = user
    /// u), with the train interactions as histories.
    static func demo(_ catalog: DemoCatalog, at path: String) throws -> EmbeddingStore {
        try catalog.makeStore(at: path)
    }

    static func interactions(_ events: [DemoCatalog.Interaction]) -> [Interaction] {
        events.map { Interaction(user: UInt32($0.user), item: UInt32($0.item), timestamp: $0.timestamp) }
    }
}

/// One demo catalogue and its store, shared by the tests of a class.
final class DemoFixture {
    let directory = TemporaryDirectory("ranking-demo")
    let catalog: DemoCatalog
    let store: EmbeddingStore
    let recommender: Recommender

    init(spec: DemoCatalogSpec = TestStores.smallSpec) throws {
        catalog = try DemoCatalog(spec: spec)
        store = try TestStores.demo(catalog, at: directory.path)
        recommender = try Recommender(store: store)
    }

    deinit { directory.remove() }
}
