import Foundation
@testable import Ranking
import TestSupport
import VectorMath
import XCTest

/// The MMR variants (relevance scales, similarity rescaling, mean penalty) against a plain
/// reference that recomputes everything pair by pair.
final class MMROptionsTests: XCTestCase {
    func naive(scores: [Float], similarity: [[Float]], lambda: Float, k: Int, scale: MMR.RelevanceScale,
               normalizeSimilarity: Bool, mean: Bool) -> [Int] {
        let hi = scores.max()!, lo = scores.min()!
        let top = min(k, scores.count)
        let relevance: [Float]
        switch scale {
        case .logit:
            let chances = scores.map { expf($0 - hi) }
            let mean = chances.sorted(by: >).prefix(top).reduce(0, +) / Float(top)
            relevance = chances.map { $0 / mean }
        case .probability where lo > 0:
            let mean = scores.sorted(by: >).prefix(top).reduce(0, +) / Float(top)
            relevance = scores.map { $0 / mean }
        default: relevance = scores.map { hi > lo ? ($0 - lo) / (hi - lo) : 1 }
        }
        var sim = similarity
        if normalizeSimilarity {
            let off = sim.indices.flatMap { i in sim.indices.filter { $0 != i }.map { sim[i][$0] } }
            let a = off.min()!, b = off.max()!
            sim = sim.indices.map { i in sim.indices.map { j in i == j ? 1 : (b > a ? (sim[i][j] - a) / (b - a) : 0) } }
        }
        var chosen: [Int] = []
        while chosen.count < min(k, scores.count) {
            var best = -Float.infinity, pick = -1
            for i in scores.indices where !chosen.contains(i) {
                let against = chosen.map { sim[i][$0] }
                let penalty = against.isEmpty ? 0 : (mean ? against.reduce(0, +) / Float(against.count) : against.max()!)
                let value = lambda * relevance[i] - (1 - lambda) * penalty
                if value > best { best = value; pick = i }
            }
            chosen.append(pick)
        }
        return chosen
    }

    func fast(scores: [Float], similarity: [[Float]], lambda: Float, k: Int, scale: MMR.RelevanceScale,
              normalizeSimilarity: Bool, mean: Bool) -> [Int] {
        let p = scores.count
        var flat = similarity.flatMap { $0 }
        if normalizeSimilarity { flat.withUnsafeMutableBufferPointer { MMR.normalizeSimilarity($0, count: p) } }
        var relevance = scores
        relevance.withUnsafeMutableBufferPointer { MMR.normalize($0, scale: scale, listLength: k) }
        var picks: [Int] = []
        var best = [Float](repeating: 0, count: p)
        var taken = [Bool](repeating: false, count: p)
        relevance.withUnsafeBufferPointer { r in
            flat.withUnsafeBufferPointer { s in
                MMR.select(relevance: r, similarity: s.baseAddress, lambda: lambda, k: k, picks: &picks, best: &best, taken: &taken,
                           penalty: mean ? .mean : .max, eligible: { _ in true }, didPick: { _ in })
            }
        }
        return picks
    }

    func testVariantsMatchTheReference() {
        var rng = SeededRandom(seed: 21)
        for trial in 0 ..< 60 {
            let p = 4 + rng.next(below: 40), k = 1 + rng.next(below: 12)
            let scale: MMR.RelevanceScale = [.minMax, .probability, .logit][trial % 3]
            let scores = (0 ..< p).map { _ in scale == .probability ? Float(rng.nextDouble()) + 0.01 : Float(2 * rng.nextGaussian()) }
                .sorted(by: >)   // the pool comes sorted best first
            var similarity = [[Float]](repeating: [Float](repeating: 0, count: p), count: p)
            for i in 0 ..< p {
                similarity[i][i] = 1
                for j in i + 1 ..< p {
                    let s = Float(0.3 + 0.6 * rng.nextDouble())   // a narrow band, as embedding cosines are
                    similarity[i][j] = s
                    similarity[j][i] = s
                }
            }
            let lambda = [0.3, 0.5, 0.7, 0.9][trial % 4] as Float
            let normalizeSimilarity = trial % 2 == 0, mean = trial % 5 < 2
            XCTAssertEqual(fast(scores: scores, similarity: similarity, lambda: lambda, k: k, scale: scale,
                                normalizeSimilarity: normalizeSimilarity, mean: mean),
                           naive(scores: scores, similarity: similarity, lambda: lambda, k: k, scale: scale,
                                 normalizeSimilarity: normalizeSimilarity, mean: mean),
                           "trial \(trial): \(scale), lambda \(lambda), normalise \(normalizeSimilarity), mean \(mean)")
        }
    }

    func testRelevanceScales() {
        var logits: [Float] = [2, 1, 0]
        logits.withUnsafeMutableBufferPointer { MMR.normalize($0, scale: .logit, listLength: 2) }
        let mean = (1 + expf(-1)) / 2
        XCTAssertEqual(logits[0], 1 / mean, accuracy: 1e-6)
        XCTAssertEqual(logits[1], expf(-1) / mean, accuracy: 1e-6)
        XCTAssertEqual(logits[2], expf(-2) / mean, accuracy: 1e-6)
        var probabilities: [Float] = [0.8, 0.4, 0.2]
        probabilities.withUnsafeMutableBufferPointer { MMR.normalize($0, scale: .probability, listLength: 3) }
        XCTAssertEqual(probabilities[0], 0.8 / (1.4 / 3), accuracy: 1e-6)
        XCTAssertEqual(probabilities[2], 0.2 / (1.4 / 3), accuracy: 1e-6)
        var negative: [Float] = [1, 0, -1]
        negative.withUnsafeMutableBufferPointer { MMR.normalize($0, scale: .probability, listLength: 2) }
        XCTAssertEqual(negative, [1, 0.5, 0], "not probabilities: min-max")
        XCTAssertEqual(RankingModel.Output.choice.relevanceScale, .logit)
        XCTAssertEqual(RankingModel.Output.logistic.relevanceScale, .probability)
        XCTAssertEqual(RankingModel.Output.linear.relevanceScale, .minMax)
    }

    func testSimilarityRescalingWidensANarrowBand() {
        var m: [Float] = [1, 0.6, 0.9, 0.6, 1, 0.7, 0.9, 0.7, 1]
        m.withUnsafeMutableBufferPointer { MMR.normalizeSimilarity($0, count: 3) }
        XCTAssertEqual(m[1], 0, accuracy: 1e-6)
        XCTAssertEqual(m[2], 1, accuracy: 1e-6)
        XCTAssertEqual(m[5], 1.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(m[4], 1)
    }
}
