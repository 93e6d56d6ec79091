import XCTest
@testable import VectorMath

final class TopKTests: XCTestCase {
    /// Full sort by (score descending, id ascending), first k.
    private func reference(_ entries: [ScoredID], k: Int) -> [ScoredID] {
        Array(entries.filter { !$0.score.isNaN }.sorted {
            $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id
        }.prefix(k))
    }

    func testMatchesFullSortWithManyTiesAndKBeyondCount() {
        var rng = TestRandom(seed: 20)
        for trial in 0..<40 {
            let n = Int.random(in: 0...200, using: &rng)
            var ids = Array(UInt32(0)..<UInt32(n * 3))
            ids.shuffle(using: &rng)
            // Few distinct scores: most entries tie with others.
            let entries = (0..<n).map { i in
                ScoredID(id: ids[i], score: Float(Int.random(in: -4...4, using: &rng)) / 2)
            }
            for k in [0, 1, 2, 7, n / 2, n, n + 5] {
                var heap = TopK(capacity: k)
                for e in entries { heap.push(score: e.score, id: e.id) }
                XCTAssertEqual(heap.count, min(k, n), "trial \(trial) k \(k)")
                XCTAssertEqual(heap.sorted(), reference(entries, k: k), "trial \(trial) n \(n) k \(k)")
            }
        }
    }

    func testNaNIsIgnored() {
        var heap = TopK(capacity: 3)
        heap.push(score: .nan, id: 1)
        heap.push(score: 1, id: 2)
        heap.push(score: .nan, id: 3)
        XCTAssertEqual(heap.count, 1)
        XCTAssertEqual(heap.sorted(), [ScoredID(id: 2, score: 1)])
    }

    func testThreshold() {
        var heap = TopK(capacity: 2)
        XCTAssertEqual(heap.threshold, -.infinity)
        heap.push(score: 5, id: 1)
        XCTAssertEqual(heap.threshold, -.infinity)
        heap.push(score: 3, id: 2)
        XCTAssertEqual(heap.threshold, 3)
        heap.push(score: 4, id: 3)
        XCTAssertEqual(heap.threshold, 4)
        heap.reset(k: 0)
        XCTAssertEqual(heap.threshold, .infinity)
        heap.push(score: 100, id: 9)
        XCTAssertEqual(heap.count, 0)
    }

    func testTieAtThresholdKeepsSmallerID() {
        var heap = TopK(capacity: 2)
        heap.push(score: 2, id: 1)
        heap.push(score: 1, id: 5)
        heap.push(score: 1, id: 9)  // equal to the threshold, larger id: rejected
        XCTAssertEqual(heap.sorted(), [ScoredID(id: 1, score: 2), ScoredID(id: 5, score: 1)])
        heap.push(score: 1, id: 3)  // equal, smaller id: replaces id 5
        XCTAssertEqual(heap.sorted(), [ScoredID(id: 1, score: 2), ScoredID(id: 3, score: 1)])
    }

    func testResetReusesStorageAndGrowsWhenAsked() {
        var heap = TopK(capacity: 8)
        for i in 0..<20 { heap.push(score: Float(i), id: UInt32(i)) }
        heap.reset(k: 3)
        XCTAssertEqual(heap.count, 0)
        XCTAssertEqual(heap.capacity, 8)
        XCTAssertEqual(heap.k, 3)
        for i in 0..<10 { heap.push(score: -Float(i), id: UInt32(i)) }
        XCTAssertEqual(heap.sorted().map(\.id), [0, 1, 2])
        heap.reset(k: 12)
        XCTAssertEqual(heap.capacity, 12)
        for i in 0..<20 { heap.push(score: Float(i % 4), id: UInt32(i)) }
        XCTAssertEqual(heap.sorted().map(\.id), [3, 7, 11, 15, 19, 2, 6, 10, 14, 18, 1, 5])
    }

    func testSortedIntoReusesArrayAndLeavesHeapIntact() {
        var heap = TopK(capacity: 4)
        for i in 0..<9 { heap.push(score: Float(i % 3), id: UInt32(i)) }
        var out: [ScoredID] = [ScoredID(id: 99, score: 99)]
        heap.sorted(into: &out)
        let expected = [ScoredID(id: 2, score: 2), ScoredID(id: 5, score: 2), ScoredID(id: 8, score: 2),
                        ScoredID(id: 1, score: 1)]
        XCTAssertEqual(out, expected)
        XCTAssertEqual(heap.sorted(), expected)
        heap.push(score: 1.5, id: 0)
        heap.sorted(into: &out)
        XCTAssertEqual(out.last, ScoredID(id: 0, score: 1.5))
    }
}
