import Foundation
import Ranking
@testable import Server
import Store
import TestSupport
import VectorIndex
import XCTest

/// The ranking stage's shared catalogue after writes: the server's own writes patch it in place
/// of a reload; a write from another process is loaded in the background while requests are
/// answered from the catalogue at hand.
final class CatalogReloadTests: XCTestCase {
    func testAWriteFromElsewhereLoadsInTheBackgroundWithoutHoldingRequests() throws {
        let dir = NSTemporaryDirectory() + "catalog-reload-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var random = SeededRandom(seed: 3)
        let d = ServerFixture.dimension
        try ServerFixture.writeStore(at: dir, items: (0 ..< 300 * d).map { _ in Float(random.nextGaussian()) },
                                     users: (0 ..< 4 * d).map { _ in Float(random.nextGaussian()) }, histories: [[1, 2], [3], [], [4]])
        let store = try EmbeddingStore(path: dir)
        let index = try IndexCatalog.open(store, kind: nil)
        let handler = RankingRecommender()
        try handler.prepare(store: store, index: index)
        let start = try store.read { try $0.writeSequence() }

        // The server's own write: patched at once.
        try store.write { w in try w.setFeatures(row: 5, .item, values: [("category", .categorical("moved"))]) }
        try handler.didCommit(store: store, index: index)
        let (own, ownSequence) = try store.read { try handler.recommender(store: store, index: index, reader: $0, atLeast: start + 1) }
        XCTAssertEqual(ownSequence, start + 1)
        XCTAssertEqual(own.catalog.categories?.codes(ofItem: 5).map { own.catalog.categories!.labels[Int($0)] }, ["moved"])

        // Another process's write: the request gets the catalogue at hand, the load runs aside.
        let other = try EmbeddingStore(path: dir)
        try other.write { w in try w.setFeatures(row: 6, .item, values: [("category", .categorical("elsewhere"))]) }
        let (stale, staleSequence) = try store.read { try handler.recommender(store: store, index: index, reader: $0, atLeast: start + 2) }
        XCTAssertEqual(staleSequence, start + 1, "answered from the catalogue at hand")
        XCTAssert(stale === own)
        var fresh: (Recommender, UInt64)?
        for _ in 0 ..< 200 {
            fresh = try store.read { try handler.recommender(store: store, index: index, reader: $0, atLeast: start + 2) }
            if fresh!.1 >= start + 2 { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        let (loaded, loadedSequence) = try XCTUnwrap(fresh)
        XCTAssertEqual(loadedSequence, start + 2, "the background load bound the new catalogue")
        XCTAssertEqual(loaded.catalog.categories?.codes(ofItem: 6).map { loaded.catalog.categories!.labels[Int($0)] }, ["elsewhere"])
        XCTAssertEqual(loaded.catalog.categories?.codes(ofItem: 5).map { loaded.catalog.categories!.labels[Int($0)] }, ["moved"])
    }
}
