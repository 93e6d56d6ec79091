import XCTest
@testable import VectorMath

final class KMeansTests: XCTestCase {
    /// Points around `centres` (row-major), `perCentre` each, spread `noise`.
    func blobs(_ centres: [[Float]], perCentre: Int, noise: Float, seed: UInt64) -> [Float] {
        var rng = TestRandom(seed: seed)
        var out: [Float] = []
        for _ in 0..<perCentre {
            for c in centres { out += c.map { $0 + noise * Float.random(in: -1..<1, using: &rng) } }
        }
        return out
    }

    func testAssignerMatchesNaiveArgmin() {
        var rng = TestRandom(seed: 3)
        for (metric, d, k, n) in [(KMeansMetric.l2, 7, 5, 40), (.l2, 33, 70, 300), (.innerProduct, 16, 19, 100)] {
            let centroids = rng.floats(k * d), points = rng.floats(n * d)
            for threads in [1, 2] {
                var assigner = KMeansAssigner(dimension: d, metric: metric, threads: threads)
                assigner.setCentroids(centroids, count: k)
                var labels = [UInt32](repeating: 99, count: n), best = [Float](repeating: 0, count: n)
                points.withUnsafeBufferPointer { p in
                    labels.withUnsafeMutableBufferPointer { l in best.withUnsafeMutableBufferPointer { b in assigner.assign(p, count: n, labels: l, scores: b) } }
                }
                for i in 0..<n {
                    let x = Array(points[i * d ..< (i + 1) * d])
                    let scores = (0..<k).map { c -> Double in
                        let y = centroids[c * d ..< (c + 1) * d]
                        return metric == .l2 ? zip(x, y).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
                                             : -zip(x, y).reduce(0) { $0 + Double($1.0) * Double($1.1) }
                    }
                    let expected = scores.indices.min { scores[$0] < scores[$1] }!
                    let chosen = Int(labels[i])
                    XCTAssertLessThanOrEqual(scores[chosen] - scores[expected], 1e-4, "\(metric) point \(i)")
                    let value = metric == .l2 ? Double(best[i]) + x.reduce(0) { $0 + Double($1 * $1) } : -Double(best[i])
                    XCTAssertEqual(value, scores[chosen], accuracy: 1e-3)
                }
            }
        }
    }

    func testArgminTiesGoToTheSmallerIndex() {
        let row: [Float] = [3, 1, 2, 1, 1] + [Float](repeating: 1, count: 30) + [0.5, 0.5]
        let (label, value) = row.withUnsafeBufferPointer { KMeansAssigner.argmin($0.baseAddress!, offsets: nil, count: row.count) }
        XCTAssertEqual(label, 35)
        XCTAssertEqual(value, 0.5)
        let flat = [Float](repeating: 2, count: 40)
        XCTAssertEqual(flat.withUnsafeBufferPointer { KMeansAssigner.argmin($0.baseAddress!, offsets: nil, count: 40) }.0, 0)
    }

    func testTrainRecoversSeparatedBlobsForEachInitialisation() {
        let centres: [[Float]] = [[10, 0, 0], [0, 10, 0], [0, 0, 10], [-10, 0, 0], [0, -10, 5]]
        let points = blobs(centres, perCentre: 60, noise: 0.5, seed: 8)
        for initialization in KMeansInitialization.allCases {
            let result = points.withUnsafeBufferPointer {
                KMeans.train($0, count: 300, dimension: 3,
                             parameters: KMeansParameters(clusters: 5, iterations: 12, initialization: initialization, seed: 4))
            }
            // k-means++ seeds one centroid per blob here, so every true centre gets a centroid
            // within the noise (random seeding may put two in one blob: a local minimum).
            for c in centres where initialization == .kmeansPlusPlus {
                let nearest = (0..<5).map { i in zip(c, result.centroids[i * 3 ..< i * 3 + 3]).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }.min()!
                XCTAssertLessThan(nearest, 0.1, "\(initialization): no centroid near \(c)")
            }
            XCTAssertEqual(Set(result.assignments).count, 5)
            XCTAssertEqual(result.objective.count, 12)
            XCTAssertLessThanOrEqual(result.objective.last!, result.objective.first! + 1e-3, "\(initialization): objective never grows")
        }
    }

    func testSameSeedSameCentroidsAndProgressReachesTotal() {
        var rng = TestRandom(seed: 1)
        let points = rng.floats(500 * 8)
        var calls: [(Int, Int)] = []
        let a = points.withUnsafeBufferPointer {
            KMeans.train($0, count: 500, dimension: 8, parameters: KMeansParameters(clusters: 20, iterations: 3, seed: 5)) { calls.append(($0, $1)) }
        }
        let b = points.withUnsafeBufferPointer {
            KMeans.train($0, count: 500, dimension: 8, parameters: KMeansParameters(clusters: 20, iterations: 3, seed: 5, threads: 2))
        }
        let c = points.withUnsafeBufferPointer {
            KMeans.train($0, count: 500, dimension: 8, parameters: KMeansParameters(clusters: 20, iterations: 3, seed: 6))
        }
        XCTAssertEqual(a.centroids, b.centroids, "threads do not change the result")
        XCTAssertNotEqual(a.centroids, c.centroids)
        XCTAssertEqual(calls.last.map { [$0.0, $0.1] }, [1500, 1500])
    }

    func testSphericalCentroidsHaveUnitLength() {
        var rng = TestRandom(seed: 2)
        let points = rng.floats(200 * 6)
        let result = points.withUnsafeBufferPointer {
            KMeans.train($0, count: 200, dimension: 6, parameters: KMeansParameters(clusters: 7, iterations: 4, metric: .innerProduct))
        }
        for i in 0..<7 {
            XCTAssertEqual(Distance.squaredNorm(Array(result.centroids[i * 6 ..< i * 6 + 6])), 1, accuracy: 1e-4)
        }
    }

    func testEmptyClusterIsRepairedBySplittingALargeOne() {
        var centroids: [Float] = [9, 9, 1, 2, 4, 4]
        var sizes = [0, 10, 1]
        var rng = KMeansRandom(seed: 1)
        let repaired = KMeans.repairEmpty(&centroids, sizes: &sizes, dimension: 2, totalPoints: 11, rng: &rng)
        XCTAssertEqual(repaired, 1)
        XCTAssertEqual(sizes, [5, 5, 1], "the only cluster with spare points gives half of them")
        XCTAssertNotEqual(Array(centroids[0..<2]), Array(centroids[2..<4]))
        XCTAssertEqual(centroids[0], 1 * (1 + 1.0 / 1024), accuracy: 1e-6)
        XCTAssertEqual(centroids[2], 1 * (1 - 1.0 / 1024), accuracy: 1e-6)
        XCTAssertEqual(Array(centroids[4..<6]), [4, 4])

        // In a run: duplicated points make random initialisation pick equal centroids.
        var points: [Float] = []
        for i in 0..<200 { points += i < 150 ? [1, 1] : [Float(i), Float(i % 7)] }
        let result = points.withUnsafeBufferPointer {
            KMeans.train($0, count: 200, dimension: 2, parameters: KMeansParameters(clusters: 12, iterations: 5, seed: 2))
        }
        XCTAssertGreaterThan(result.repairedClusters, 0)
    }

    func testSampleDrawsDistinctSortedNumbers() {
        var rng = KMeansRandom(seed: 9)
        let s = rng.sample(50, from: 1000)
        XCTAssertEqual(s.count, 50)
        XCTAssertEqual(s, s.sorted())
        XCTAssertEqual(Set(s).count, 50)
        XCTAssertTrue(s.allSatisfy { (0..<1000).contains($0) })
        XCTAssertEqual(rng.sample(10, from: 4), [0, 1, 2, 3])
        var again = KMeansRandom(seed: 9)
        XCTAssertEqual(again.sample(50, from: 1000), s)
    }
}
