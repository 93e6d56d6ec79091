import VectorMath
import XCTest

/// `ChunkedArray` against `Array`: the same contents after appends and writes, and a copy
/// that shares the chunks it did not write.
final class ChunkedArrayTests: XCTestCase {
    func testBehavesLikeAnArray() {
        var rng = TestRandom(seed: 3)
        let size = ChunkedArray<Int>.chunkSize
        var chunked = ChunkedArray<Int>()
        var plain: [Int] = []
        XCTAssertTrue(chunked.isEmpty)
        for round in 0 ..< 40 {
            switch round % 4 {
            case 0:
                let n = Int.random(in: 0 ... 2 * size, using: &rng)
                chunked.append(repeating: round, count: n)
                plain += repeatElement(round, count: n)
            case 1:
                let more = (0 ..< Int.random(in: 0 ... size + 3, using: &rng)).map { _ in Int.random(in: -9 ... 9, using: &rng) }
                chunked.append(contentsOf: more)
                plain += more
            default:
                for _ in 0 ..< 50 where !plain.isEmpty {
                    let i = Int.random(in: 0 ..< plain.count, using: &rng)
                    chunked[i] = round * 1000 + i
                    plain[i] = round * 1000 + i
                }
            }
            XCTAssertEqual(chunked.count, plain.count, "round \(round)")
            XCTAssertEqual(Array(chunked), plain, "round \(round)")
        }
        XCTAssertEqual(ChunkedArray(plain), chunked)
        XCTAssertNotEqual(ChunkedArray(plain.dropLast()), chunked)
        XCTAssertEqual(ChunkedArray(repeating: 7, count: size + 1).last, 7)
        XCTAssertEqual(Array(ChunkedArray([1, 2, 3])[1...]), [2, 3])
    }

    func testACopyWritesOnlyItsOwnChunk() {
        let size = ChunkedArray<Float>.chunkSize
        let original = ChunkedArray((0 ..< 3 * size).map(Float.init))
        var copy = original
        copy[size + 1] = -1
        copy.append(-2)
        XCTAssertEqual(original[size + 1], Float(size + 1), "the original keeps its value")
        XCTAssertEqual(original.count, 3 * size)
        XCTAssertEqual(copy[size + 1], -1)
        XCTAssertEqual(copy.count, 3 * size + 1)
        XCTAssertEqual(Array(copy[0 ..< size]), Array(original[0 ..< size]))
    }
}
