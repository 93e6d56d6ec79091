import Foundation
@testable import Ranking
@testable import Store
import TestSupport
import XCTest

/// `CategoryIndex(updating:)` over several chunks of rows: equal, array for array, to a build
/// from scratch, and sharing the chunks no write touched.
final class CategoryIndexTests: XCTestCase {
    private let column = FeatureColumn(entity: .item, name: "tags", number: 0, kind: .multiCategorical, labelCount: 0)

    private func randomCodes(_ rng: inout SeededRandom, labels: Int) -> [UInt32] {
        // Empty, one or several labels; a repeated code is kept once.
        (0 ..< Int.random(in: 0 ... 3, using: &rng)).map { _ in UInt32.random(in: 0 ..< UInt32(labels), using: &rng) }
    }

    private func assertEqual(_ a: CategoryIndex, _ b: CategoryIndex, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.itemCount, b.itemCount, context, file: file, line: line)
        XCTAssertEqual(a.labels, b.labels, context, file: file, line: line)
        XCTAssertEqual(a.codesByLabel, b.codesByLabel, context, file: file, line: line)
        XCTAssertEqual(a.chunks, b.chunks, "\(context): codes by item", file: file, line: line)
        XCTAssertEqual(a.postings, b.postings, "\(context): postings", file: file, line: line)
    }

    func testUpdatesAcrossChunksEqualAFreshBuild() {
        var rng = SeededRandom(seed: 7)
        var labels = (0 ..< 6).map { "l\($0)" }
        let rows = 2 * CategoryIndex.chunkRows + 100
        var codes = (0 ..< rows).map { _ in randomCodes(&rng, labels: labels.count) }
        var index = CategoryIndex(column: column, labels: labels, codesOfRow: codes)
        XCTAssertEqual(index.chunks.count, 3)
        for step in 0 ..< 12 {
            // Touch rows in some chunks (the first and last row of a chunk among them), maybe
            // add labels and rows (filling the last chunk and starting another).
            var touched = Set((0 ..< Int.random(in: 1 ... 20, using: &rng)).map { _ in Int.random(in: 0 ..< codes.count, using: &rng) })
            touched.insert(CategoryIndex.chunkRows - 1)
            touched.insert(CategoryIndex.chunkRows)
            if step % 3 == 1 { labels.append("new\(step)") }
            let added = step % 4 == 2 ? Int.random(in: 1 ... CategoryIndex.chunkRows, using: &rng) : 0
            codes += (0 ..< added).map { _ in [] }
            for r in codes.count - added ..< codes.count where Bool.random(using: &rng) { touched.insert(r) }
            let changed = touched.sorted()
            let newCodes = changed.map { _ in randomCodes(&rng, labels: labels.count) }
            for (i, r) in changed.enumerated() { codes[r] = newCodes[i] }
            let updated = CategoryIndex(updating: index, column: column, labels: labels, itemCount: codes.count,
                                        rows: changed.map(UInt32.init), codes: newCodes)
            assertEqual(updated, CategoryIndex(column: column, labels: labels, codesOfRow: codes), "step \(step)")
            // Read back through the public accessors too.
            for r in changed {
                let kept = codes[r].reduce(into: [UInt32]()) { out, c in if !out.contains(c) { out.append(c) } }
                XCTAssertEqual(updated.codes(ofItem: UInt32(r)), kept, "step \(step) row \(r)")
            }
            index = updated
        }
        XCTAssertGreaterThan(index.chunks.count, 3, "rows were added past the first chunks")
    }

    func testAWriteCopiesOnlyTheChunksOfItsRows() {
        let labels = ["a", "b"]
        let codes = (0 ..< 3 * CategoryIndex.chunkRows).map { [UInt32($0 % 2)] }
        let index = CategoryIndex(column: column, labels: labels, codesOfRow: codes)
        let row = CategoryIndex.chunkRows + 5
        let updated = CategoryIndex(updating: index, column: column, labels: labels, itemCount: codes.count,
                                    rows: [UInt32(row)], codes: [[0, 1]])
        func shared(_ a: [UInt32], _ b: [UInt32]) -> Bool { a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { x.baseAddress == $0.baseAddress } } }
        XCTAssertTrue(shared(index.chunks[0], updated.chunks[0]))
        XCTAssertFalse(shared(index.chunks[1], updated.chunks[1]))
        XCTAssertTrue(shared(index.chunks[2], updated.chunks[2]))
        XCTAssertEqual(updated.codes(ofItem: UInt32(row)), [0, 1])
        XCTAssertEqual(index.codes(ofItem: UInt32(row)), [1], "the old index is unchanged")
        XCTAssertEqual(updated.rows(withCode: 0).count, codes.count / 2 + 1)
        XCTAssertTrue(updated.rows(withCode: 0).contains(UInt32(row)))
        XCTAssertEqual(updated.jaccard(UInt32(row), UInt32(row + 1)), 0.5)
    }
}
