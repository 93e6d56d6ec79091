@testable import Server
import TestSupport
import VectorMath
import XCTest

/// `LabelRows` against a plain set: the same rows whichever form it takes, the form that is
/// smaller, and in-place edits that switch form when a label grows past one row in 32.
final class LabelRowsTests: XCTestCase {
    func testFormsHoldTheSameRowsAsASet() {
        let items = 3200
        var random = SeededRandom(seed: 8)
        for share in [0.001, 0.02, 0.5] {
            let initial = (0 ..< UInt32(items)).filter { _ in random.nextDouble() < share }
            var rows = LabelRows(initial, items: items)
            var reference = Set(initial)
            if case .dense = rows { XCTAssertGreaterThan(initial.count * 32, items) } else { XCTAssertLessThanOrEqual(initial.count * 32, items) }
            for _ in 0 ..< 400 {
                let row = UInt32(random.next(below: items + 64))  // rows past the catalogue too (new items)
                if random.nextBool(probability: 0.5) {
                    rows.insert(row, items: items)
                    reference.insert(row)
                } else {
                    rows.remove(row)
                    reference.remove(row)
                }
                XCTAssertEqual(rows.count, reference.count)
            }
            for row in 0 ..< UInt32(items + 64) { XCTAssertEqual(rows.contains(row), reference.contains(row), "row \(row) at \(share)") }
            var out = RowBitmap(capacity: items)
            out.insert(5)
            rows.add(to: &out)
            XCTAssertEqual(Set(out.rows), reference.union([5]))
        }
    }

    func testASparseLabelTurnsDenseWhenItGrows() {
        var rows = LabelRows([1, 2, 3], items: 320)
        guard case .sparse = rows else { return XCTFail("3 rows of 320 are a list") }
        for row in UInt32(4) ... 11 { rows.insert(row, items: 320) }
        guard case .dense = rows else { return XCTFail("11 rows of 320 are more than one in 32: a bitmap") }
        XCTAssertEqual(rows.count, 11)
    }
}
