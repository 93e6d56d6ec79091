import Foundation
@testable import Ranking
import TestSupport
import VectorMath
import XCTest

/// `PopularityOrder` moved row by row against a full sort, over several chunks: rows whose
/// popularity changed, new rows, a chunk emptied and a chunk split.
final class PopularityOrderTests: XCTestCase {
    func testMovesEqualAFullSort() {
        var rng = SeededRandom(seed: 5)
        var popularity = ChunkedArray((0 ..< 5 * PopularityOrder.chunkSize).map { _ in Float(Int.random(in: 0 ..< 50, using: &rng)) / 10 })
        var order = PopularityOrder(ItemCatalog.popularOrder(popularity))
        for step in 0 ..< 20 {
            let before = popularity
            var moved = Set<UInt32>()
            // Some rows change value (ties with others on purpose: small value set; NaN too).
            for _ in 0 ..< Int.random(in: 1 ... 40, using: &rng) {
                let row = Int.random(in: 0 ..< popularity.count, using: &rng)
                popularity[row] = step % 5 == 0 && row % 3 == 0 ? .nan : Float(Int.random(in: 0 ..< 50, using: &rng)) / 10
                moved.insert(UInt32(row))
            }
            // Step 6: every row of the least popular chunk rises (the chunk empties); step 9:
            // more new rows than a chunk holds, all at one place (a chunk splits).
            if step == 6 { for row in Array(order).suffix(PopularityOrder.chunkSize + 7) { popularity[Int(row)] = 9; moved.insert(row) } }
            let added = step == 9 ? 3 * PopularityOrder.chunkSize : (step % 4 == 1 ? Int.random(in: 1 ... 30, using: &rng) : 0)
            for _ in 0 ..< added {
                moved.insert(UInt32(popularity.count))
                popularity.append(2.5)
            }
            let fresh = moved.sorted { ItemCatalog.morePopular($0, $1, popularity) }
            XCTAssertTrue(order.move(taking: fresh.filter { Int($0) < before.count }, placing: fresh,
                                     before: { ItemCatalog.morePopular($0, $1, before) },
                                     after: { ItemCatalog.morePopular($0, $1, popularity) }), "step \(step)")
            let sorted = ItemCatalog.popularOrder(popularity)
            XCTAssertEqual(order.count, sorted.count, "step \(step)")
            XCTAssertEqual(Array(order), sorted, "step \(step)")
            XCTAssertEqual(order, PopularityOrder(sorted), "equal rows, whatever the chunks")
        }
        // A row missing from where `before` puts it is refused (the caller sorts from scratch).
        var broken = order
        let first = Array(order)[0]
        XCTAssertFalse(broken.move(taking: [first], placing: [], before: { ItemCatalog.morePopular($1, $0, popularity) },
                                   after: { ItemCatalog.morePopular($0, $1, popularity) }), "a comparator that reverses the order")
    }
}
