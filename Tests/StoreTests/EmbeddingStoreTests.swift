import Foundation
import LMDB
import Store
import VectorMath
import XCTest

final class EmbeddingStoreTests: XCTestCase {
    var dir = TemporaryDirectory()

    override func setUp() { dir = TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    func vectors(_ n: Int, _ d: Int, seed: Int = 1) -> [Float] {
        (0..<(n * d)).map { Float(($0 * 7919 + seed * 104_729) % 2003) / 1000 - 1 }
    }

    func testOpeningAMissingStoreFails() {
        XCTAssertThrowsError(try EmbeddingStore(path: dir.path)) { XCTAssertEqual($0 as? StoreError, .notAStore(path: dir.path)) }
    }

    func testEmptyStoreIsNotInitialised() throws {
        let store = try EmbeddingStore(path: dir.path, create: true)
        XCTAssertNil(try store.meta())
        XCTAssertThrowsError(try store.read { try $0.meta() }) {
            XCTAssertEqual($0 as? StoreError, .notInitialized(path: dir.path))
        }
    }

    func testVectorsRoundTripAcrossBlocksAndReopen() throws {
        let d = 48
        let n = StoreLayout.vectorsPerBlock(dimension: d) * 2 + 37
        let data = vectors(n, d)
        let ids = (0..<n).map { ExternalID.number(UInt64(5000 + $0)) }
        do {
            let store = try EmbeddingStore(path: dir.path, create: true)
            let rows = try store.write { w -> [UInt32] in
                try w.initialize(dimension: d, metric: .l2)
                return try data.withUnsafeBufferPointer { try w.upsertVectors(.item, ids: ids, vectors: $0) }
            }
            XCTAssertEqual(rows, (0..<n).map(UInt32.init))
        }
        let store = try EmbeddingStore(path: dir.path, expecting: StoreExpectation(dimension: d, metric: .l2))
        try store.read { r in
            XCTAssertEqual(try r.counts().items, n)
            XCTAssertEqual(try r.counts().itemVectors, n)
            for row in [0, 1, n / 2, n - 1] {
                XCTAssertEqual(try r.vector(ofRow: UInt32(row), .item), Array(data[row * d ..< (row + 1) * d]))
                XCTAssertEqual(try r.externalID(ofRow: UInt32(row), .item), ids[row])
                XCTAssertEqual(try r.row(of: ids[row], .item), UInt32(row))
            }
            XCTAssertNil(try r.row(of: .number(1), .item))
            var seen = 0
            try r.forEachVectorBlock(.item) { block in
                XCTAssertEqual(Int(block.firstRow), seen)
                for i in 0..<block.count {
                    let expected = Distance.squaredNorm(Array(data[(seen + i) * d ..< (seen + i + 1) * d]))
                    XCTAssertEqual(block.squaredNorms[i], expected, accuracy: 1e-3)
                }
                XCTAssertEqual(Array(block.vectors), Array(data[seen * d ..< (seen + block.count) * d]))
                seen += block.count
                return true
            }
            XCTAssertEqual(seen, n)
        }
    }

    func testReadsAreZeroCopyFromTheMap() throws {
        let d = 16
        let store = try EmbeddingStore(path: dir.path, create: true)
        let data = vectors(100, d)
        try store.write { w in
            try w.initialize(dimension: d, metric: .innerProduct)
            try data.withUnsafeBufferPointer { _ = try w.upsertVectors(.item, ids: (0..<100).map { .number(UInt64($0)) }, vectors: $0) }
        }
        try store.read { r in
            let a = try r.withVector(ofRow: 42, .item) { $0.map { Int(bitPattern: $0.baseAddress) } }
            let b = try r.withVector(ofRow: 42, .item) { $0.map { Int(bitPattern: $0.baseAddress) } }
            var fromBlock = 0
            try r.forEachVectorBlock(.item) { block in
                fromBlock = Int(bitPattern: block.vectors.baseAddress! + 42 * d)
                return false
            }
            XCTAssertNotNil(a)
            XCTAssertEqual(a, b, "the same row gives the same address: no copy")
            XCTAssertEqual(a, fromBlock, "row pointer lies inside the block in the map")
        }
    }

    func testUpsertReplacesAndCosineNormalises() throws {
        let store = try EmbeddingStore(path: dir.path, create: true)
        try store.write { w in
            try w.initialize(dimension: 2, metric: .cosine)
            try [Float](arrayLiteral: 3, 4, 1, 0).withUnsafeBufferPointer {
                _ = try w.upsertVectors(.item, ids: [.string("a"), .string("b")], vectors: $0)
            }
        }
        try store.write { w in
            try [Float](arrayLiteral: 0, 2).withUnsafeBufferPointer { _ = try w.upsertVectors(.item, ids: [.string("a")], vectors: $0) }
        }
        try store.read { r in
            XCTAssertEqual(try r.counts().items, 2)
            XCTAssertEqual(try r.vector(ofRow: 0, .item), [0, 1])
            XCTAssertEqual(try r.vector(ofRow: 1, .item), [1, 0])
        }
    }

    func testMismatchesAreRefused() throws {
        let store = try EmbeddingStore(path: dir.path, create: true)
        try store.write { try $0.initialize(dimension: 8, metric: .innerProduct) }
        XCTAssertThrowsError(try EmbeddingStore(path: dir.path, expecting: StoreExpectation(dimension: 9))) {
            XCTAssertEqual($0 as? StoreError, .dimensionMismatch(expected: 8, got: 9))
        }
        XCTAssertThrowsError(try EmbeddingStore(path: dir.path, expecting: StoreExpectation(metric: .l2))) {
            XCTAssertEqual($0 as? StoreError, .metricMismatch(expected: .innerProduct, got: .l2))
        }
        XCTAssertThrowsError(try store.write { try $0.initialize(dimension: 8, metric: .cosine) }) {
            XCTAssertEqual($0 as? StoreError, .metricMismatch(expected: .innerProduct, got: .cosine))
        }
    }

    func testFormatVersionMismatchIsRefused() throws {
        do {
            let store = try EmbeddingStore(path: dir.path, create: true)
            try store.write { try $0.initialize(dimension: 4, metric: .l2) }
        }
        do {
            let env = try Environment(path: dir.path)
            let meta = try env.openDatabase("meta", create: false)
            try env.write { try $0.put(KeyCodec.encode(UInt32(99)), forKey: Array("format_version".utf8), in: meta) }
        }
        XCTAssertThrowsError(try EmbeddingStore(path: dir.path)) {
            XCTAssertEqual($0 as? StoreError, .formatVersionMismatch(path: dir.path, expected: 1, got: 99))
        }
    }

    func testNonFiniteVectorIsRejectedAndNothingIsWritten() throws {
        let store = try EmbeddingStore(path: dir.path, create: true)
        try store.write { w in
            try w.initialize(dimension: 3, metric: .l2)
            try [Float](arrayLiteral: 1, 2, 3).withUnsafeBufferPointer { _ = try w.upsertVectors(.item, ids: [.number(1)], vectors: $0) }
        }
        XCTAssertThrowsError(try store.write { w in
            try [Float](arrayLiteral: 4, 5, 6, 7, .infinity, 9).withUnsafeBufferPointer {
                _ = try w.upsertVectors(.item, ids: [.number(2), .number(3)], vectors: $0)
            }
        }) { XCTAssertEqual($0 as? StoreError, .nonFiniteValue(.item, .number(3), column: 1)) }
        try store.read { r in
            XCTAssertEqual(try r.counts().items, 1)
            XCTAssertNil(try r.row(of: .number(2), .item))
        }
    }

    func testStoreGrowsItsMapWhenFull() throws {
        var options = Environment.Options()
        options.mapSize = 1 << 20
        let store = try EmbeddingStore(path: dir.path, create: true, options: options)
        let d = 64, n = 20_000  // 5 MB of vectors in a 1 MB map
        let data = vectors(n, d)
        try store.write { w in
            try w.initialize(dimension: d, metric: .l2)
            try data.withUnsafeBufferPointer { _ = try w.upsertVectors(.item, ids: (0..<n).map { .number(UInt64($0)) }, vectors: $0) }
        }
        XCTAssertGreaterThan(store.environment.info.mapSize, 1 << 20)
        try store.read { XCTAssertEqual(try $0.vector(ofRow: UInt32(n - 1), .item), Array(data[(n - 1) * d ..< n * d])) }
    }

    func testUsersWithoutVectorsAreVacantRows() throws {
        let store = try EmbeddingStore(path: dir.path, create: true)
        try store.write { w in
            try w.initialize(dimension: 2, metric: .innerProduct)
            _ = try w.resolve(.string("cold"), .user)
            try [Float](arrayLiteral: 1, 1).withUnsafeBufferPointer { _ = try w.upsertVectors(.user, ids: [.string("warm")], vectors: $0) }
        }
        try store.read { r in
            XCTAssertEqual(try r.counts().users, 2)
            XCTAssertEqual(try r.counts().userVectors, 1)
            XCTAssertNil(try r.vector(ofRow: 0, .user))
            XCTAssertEqual(try r.vector(ofRow: 1, .user), [1, 1])
        }
    }
}
