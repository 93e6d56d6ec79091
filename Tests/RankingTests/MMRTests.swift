import Foundation
@testable import Ranking
import Store
import TestSupport
import VectorMath
import XCTest

final class MMRTests: XCTestCase {
    /// The textbook algorithm, written plainly: cosines computed pair by pair.
    func naiveMMR(relevance: [Float], vectors: [[Float]], lambda: Float, k: Int) -> [Int] {
        func cosine(_ a: [Float], _ b: [Float]) -> Float {
            let dot = zip(a, b).map { $0 * $1 }.reduce(0, +)
            let na = a.map { $0 * $0 }.reduce(0, +).squareRoot(), nb = b.map { $0 * $0 }.reduce(0, +).squareRoot()
            return dot / (na * nb)
        }
        let lo = relevance.min()!, hi = relevance.max()!
        let rel = relevance.map { hi > lo ? ($0 - lo) / (hi - lo) : 1 }
        var chosen: [Int] = []
        while chosen.count < min(k, relevance.count) {
            var best = -Float.infinity, pick = -1
            for i in relevance.indices where !chosen.contains(i) {
                let penalty = chosen.map { cosine(vectors[i], vectors[$0]) }.max() ?? 0
                let value = lambda * rel[i] - (1 - lambda) * penalty
                if value > best { best = value; pick = i }
            }
            chosen.append(pick)
        }
        return chosen
    }

    func run(relevance: [Float], vectors: [[Float]], lambda: Float, k: Int) -> [Int] {
        let p = relevance.count, d = vectors[0].count
        var unit = [Float](repeating: 0, count: p * d)
        for i in 0 ..< p {
            let norm = vectors[i].map { $0 * $0 }.reduce(0, +).squareRoot()
            for j in 0 ..< d { unit[i * d + j] = vectors[i][j] / norm }
        }
        var similarity = [Float](repeating: 0, count: p * p)
        unit.withUnsafeBufferPointer { u in
            similarity.withUnsafeMutableBufferPointer { s in
                BLAS.multiplyTransposed(a: u.baseAddress!, rowsA: p, b: u.baseAddress!, rowsB: p, dimension: d, into: s.baseAddress!)
            }
        }
        var normalized = relevance
        normalized.withUnsafeMutableBufferPointer { MMR.normalize($0) }
        var picks: [Int] = []
        var best = [Float](repeating: 0, count: p)
        var taken = [Bool](repeating: false, count: p)
        normalized.withUnsafeBufferPointer { r in
            similarity.withUnsafeBufferPointer { s in
                MMR.select(relevance: r, similarity: s.baseAddress, lambda: lambda, k: k, picks: &picks, best: &best, taken: &taken,
                           eligible: { _ in true }, didPick: { _ in })
            }
        }
        return picks
    }

    func testMatchesNaiveReferenceOnRandomData() {
        var rng = SeededRandom(seed: 11)
        for trial in 0 ..< 40 {
            let p = 5 + rng.next(below: 60), d = 2 + rng.next(below: 20), k = 1 + rng.next(below: 15)
            let relevance = (0 ..< p).map { _ in Float(rng.nextGaussian()) }
            let vectors = (0 ..< p).map { _ in (0 ..< d).map { _ in Float(rng.nextGaussian()) } }
            let lambda = [0, 0.3, 0.5, 0.7, 0.9, 1][trial % 6] as Float
            XCTAssertEqual(run(relevance: relevance, vectors: vectors, lambda: lambda, k: k),
                           naiveMMR(relevance: relevance, vectors: vectors, lambda: lambda, k: k), "trial \(trial), lambda \(lambda)")
        }
    }

    func testLambdaOneIsRelevanceOrder() {
        var rng = SeededRandom(seed: 3)
        let relevance = (0 ..< 30).map { _ in Float(rng.nextGaussian()) }
        let vectors = (0 ..< 30).map { _ in (0 ..< 8).map { _ in Float(rng.nextGaussian()) } }
        let order = relevance.indices.sorted { relevance[$0] > relevance[$1] }
        XCTAssertEqual(run(relevance: relevance, vectors: vectors, lambda: 1, k: 10), Array(order.prefix(10)))
    }

    func testDuplicatesArePushedDown() {
        // Items 0 and 1 are the same direction; 2 is orthogonal and a little less relevant.
        let vectors: [[Float]] = [[1, 0], [1, 0], [0, 1], [-1, -1]]
        let relevance: [Float] = [1, 0.95, 0.9, 0]
        XCTAssertEqual(run(relevance: relevance, vectors: vectors, lambda: 1, k: 2), [0, 1])
        // Second pick: 1 scores 0.7 * 0.95 - 0.3 * 1 = 0.365, 2 scores 0.7 * 0.9 - 0 = 0.63.
        XCTAssertEqual(run(relevance: relevance, vectors: vectors, lambda: 0.7, k: 2), [0, 2])
    }
}
