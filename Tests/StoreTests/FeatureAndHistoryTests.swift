import Foundation
import Store
import XCTest

final class FeatureAndHistoryTests: XCTestCase {
    var dir = TemporaryDirectory()

    override func setUp() { dir = TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    func makeStore(items: Int) throws -> EmbeddingStore {
        let store = try EmbeddingStore(path: dir.path, create: true)
        try store.write { w in
            try w.initialize(dimension: 2, metric: .innerProduct)
            let data = [Float](repeating: 0.5, count: items * 2)
            try data.withUnsafeBufferPointer { _ = try w.upsertVectors(.item, ids: (0..<items).map { .number(UInt64($0)) }, vectors: $0) }
        }
        return store
    }

    func testFeaturesRoundTripAndMerge() throws {
        let store = try makeStore(items: 3)
        try store.write { w in
            try w.setFeatures(row: 0, .item, values: [("category", .categorical("shoes")), ("tags", .multiCategorical(["red", "sale"])),
                                                      ("price", .numeric(19.5)), ("released", .timestamp(1_700_000_000))])
            try w.setFeatures(row: 1, .item, values: [("category", .categorical("hats")), ("tags", .multiCategorical(["sale"]))])
        }
        try store.write { w in try w.setFeatures(row: 0, .item, values: [("price", .numeric(9.0))]) }
        try store.read { r in
            XCTAssertEqual(try r.features(row: 0, .item), ["category": .categorical("shoes"), "tags": .multiCategorical(["red", "sale"]),
                                                          "price": .numeric(9.0), "released": .timestamp(1_700_000_000)])
            XCTAssertEqual(try r.features(row: 1, .item), ["category": .categorical("hats"), "tags": .multiCategorical(["sale"])])
            XCTAssertEqual(try r.features(row: 2, .item), [:])
            let columns = try r.featureColumns(.item)
            XCTAssertEqual(columns.map(\.name), ["category", "tags", "price", "released"])
            XCTAssertEqual(columns.map(\.kind), [.categorical, .multiCategorical, .numeric, .timestamp])
            XCTAssertEqual(columns[0].labelCount, 2)
            XCTAssertEqual(columns[1].labelCount, 2, "red, sale")
            XCTAssertEqual(try r.code(ofLabel: "hats", column: 0, .item), 1)
            XCTAssertEqual(try r.featureColumns(.user), [])
        }
    }

    func testFeatureKindMismatchWritesNothing() throws {
        let store = try makeStore(items: 2)
        try store.write { try $0.setFeatures(row: 0, .item, values: [("price", .numeric(1))]) }
        XCTAssertThrowsError(try store.write { w in
            try w.setFeatures(row: 1, .item, values: [("brand", .categorical("acme"))])
            try w.setFeatures(row: 1, .item, values: [("price", .categorical("cheap"))])
        }) { XCTAssertEqual($0 as? StoreError, .featureKindMismatch(.item, column: "price", expected: .numeric, got: .categorical)) }
        try store.read { r in
            XCTAssertEqual(try r.featureColumns(.item).map(\.name), ["price"])
            XCTAssertEqual(try r.features(row: 1, .item), [:])
        }
    }

    /// Repeated labels are kept once; more distinct labels than the bound are refused (65,536
    /// of them overflowed the record's 16-bit count and trapped the process).
    func testMultiLabelValuesAreDeduplicatedAndBounded() throws {
        let store = try makeStore(items: 2)
        try store.write { w in
            try w.setFeatures(row: 0, .item, values: [("tags", .multiCategorical(["a", "b", "a"] + [String](repeating: "b", count: 70_000)))])
        }
        try store.read { XCTAssertEqual(try $0.features(row: 0, .item), ["tags": .multiCategorical(["a", "b"])]) }
        let many = (0...FeatureRecordCodec.maximumLabels).map { "t\($0)" }
        XCTAssertThrowsError(try store.write { try $0.setFeatures(row: 1, .item, values: [("tags", .multiCategorical(many))]) }) {
            XCTAssertEqual($0 as? StoreError, .tooManyLabels(.item, column: "tags", count: 4097, maximum: 4096))
        }
        try store.write { try $0.setFeatures(row: 1, .item, values: [("tags", .multiCategorical(Array(many.dropLast())))]) }
        try store.read { r in
            guard case .multiCategorical(let labels)? = try r.features(row: 1, .item)["tags"] else { return XCTFail("tags") }
            XCTAssertEqual(labels.count, 4096)
        }
    }

    func testHistoryIsSortedMergedAndDeduplicated() throws {
        let store = try makeStore(items: 5)
        try store.write { w in
            let u = try w.resolve(.string("u1"), .user).row
            try w.appendHistory(user: u, entries: [HistoryEntry(item: 3, timestamp: 30), HistoryEntry(item: 1, timestamp: 10)])
        }
        try store.write { w in
            let u = try w.resolve(.string("u1"), .user).row
            try w.appendHistory(user: u, entries: [HistoryEntry(item: 2, timestamp: 20), HistoryEntry(item: 3, timestamp: 30),
                                                   HistoryEntry(item: 4)])
        }
        try store.read { r in
            XCTAssertEqual(try r.history(ofUser: 0), [HistoryEntry(item: 4), HistoryEntry(item: 1, timestamp: 10),
                                                      HistoryEntry(item: 2, timestamp: 20), HistoryEntry(item: 3, timestamp: 30)])
            XCTAssertEqual(try r.withHistory(ofUser: 0) { $0.items }, [4, 1, 2, 3])
        }
        XCTAssertThrowsError(try store.write { w in try w.appendHistory(user: 0, entries: [HistoryEntry(item: 99)]) }) {
            XCTAssertEqual($0 as? StoreError, .unknownInternalID(.item, 99))
        }
    }

    func testReaderSeesEitherTheOldOrTheNewState() throws {
        let d = 8, batch = 500, batches = 20
        let store = try EmbeddingStore(path: dir.path, create: true)
        try store.write { try $0.initialize(dimension: d, metric: .l2) }
        let done = DispatchSemaphore(value: 0)
        final class Failures: @unchecked Sendable { var list: [String] = [] }
        let failures = Failures()
        DispatchQueue.global().async {
            defer { done.signal() }
            do {
                for b in 0..<batches {
                    try store.write { w in
                        // Each batch writes rows whose every component equals the batch number.
                        let data = [Float](repeating: Float(b), count: batch * d)
                        let ids = (0..<batch).map { ExternalID.number(UInt64(b * batch + $0)) }
                        try data.withUnsafeBufferPointer { _ = try w.upsertVectors(.item, ids: ids, vectors: $0) }
                    }
                }
            } catch { failures.list.append("writer: \(error)") }
        }
        var observations = 0
        var lastCount = 0
        while observations < 2000 {
            try store.read { r in
                let counts = try r.counts()
                XCTAssertEqual(counts.items % batch, 0, "a snapshot never shows a half-written batch")
                XCTAssertEqual(counts.items, counts.itemVectors)
                XCTAssertGreaterThanOrEqual(counts.items, lastCount)
                lastCount = counts.items
                if counts.items > 0 {
                    let last = UInt32(counts.items - 1)
                    XCTAssertEqual(try r.vector(ofRow: last, .item)?.first, Float(counts.items / batch - 1))
                    XCTAssertNil(try r.vector(ofRow: last + 1, .item))
                }
            }
            observations += 1
            if lastCount == batch * batches { break }
        }
        done.wait()
        XCTAssertEqual(failures.list, [])
        try store.read { XCTAssertEqual(try $0.counts().items, batch * batches) }
    }
}
