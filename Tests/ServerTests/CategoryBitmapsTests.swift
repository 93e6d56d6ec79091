import Foundation
@testable import Server
import Store
import TestSupport
import VectorMath
import XCTest

/// `CategoryBitmaps` patched after writes through the store (its change log) against the same
/// columns built from scratch on the same snapshot: a single-label column and a multi-label one,
/// rows moving between labels, losing them, gaining several, and new rows.
final class CategoryBitmapsTests: XCTestCase {
    func testPatchedColumnsEqualFreshOnes() throws {
        let dir = NSTemporaryDirectory() + "category-bitmaps-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try EmbeddingStore(path: dir, create: true)
        let items = 200
        var random = SeededRandom(seed: 17)
        let brands = (0 ..< 30).map { "b\($0)" }, tags = ["red", "green", "blue", "big", "small"]
        try store.write { w in
            _ = try w.initialize(dimension: 2, metric: .innerProduct)
            for row in 0 ..< items {
                let id = try w.resolve(.number(UInt64(row)), .item).row
                var values: [(name: String, value: FeatureValue)] = [("brand", .categorical(brands[row % brands.count]))]
                if row % 3 != 0 { values.append(("tags", .multiCategorical(Array(Set([tags[row % 5], tags[(row / 5) % 5]]))))) }
                try w.setFeatures(row: id, .item, values: values)
            }
        }
        let patched = CategoryBitmaps()
        func every(_ bitmaps: CategoryBitmaps, _ column: String, _ labels: [String], _ reader: StoreReader) throws -> [[UInt32]] {
            try labels.map { try bitmaps.rows(column: column, labels: [$0], reader: reader).rows }
        }
        _ = try store.read { try every(patched, "brand", brands, $0) + every(patched, "tags", tags, $0) }  // built
        for step in 0 ..< 8 {
            try store.write { w in
                for _ in 0 ..< 5 {
                    let row = UInt32(random.next() % UInt64(w.counts.items))
                    switch random.next() % 4 {
                    case 0: try w.setFeatures(row: row, .item, values: [("brand", .categorical(brands[Int(random.next() % 30)]))])
                    case 1: try w.setFeatures(row: row, .item, values: [("tags", .multiCategorical(["blue", "new\(step)"]))])
                    case 2: try w.setFeatures(row: row, .item, values: [("tags", .multiCategorical(["small"]))])
                    default: try w.setFeatures(row: row, .item, values: [("brand", .categorical("fresh\(step)")), ("tags", .multiCategorical([]))])
                    }
                }
                let fresh = try w.resolve(.number(UInt64(10_000 + step)), .item).row
                try w.setFeatures(row: fresh, .item, values: [("brand", .categorical("fresh\(step)")), ("tags", .multiCategorical(["red", "big"]))])
            }
            try store.read { reader in
                let allBrands = brands + (0 ... step).map { "fresh\($0)" }
                let allTags = tags + (0 ... step).map { "new\($0)" }
                let rebuilt = CategoryBitmaps()
                XCTAssertEqual(try every(patched, "brand", allBrands, reader), try every(rebuilt, "brand", allBrands, reader), "step \(step) brand")
                XCTAssertEqual(try every(patched, "tags", allTags, reader), try every(rebuilt, "tags", allTags, reader), "step \(step) tags")
            }
        }
    }
}
