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

    /// The centroid-code path (VNNI) gives the float32 argmin: the same centroid as the BLAS
    /// path wherever the two differ by more than float rounding, duplicate centroids resolved to
    /// the smaller number, points sitting on a centroid assigned to it; L2 and inner product,
    /// a dimension that is not a multiple of 4, clustered and uniform points, 1 and 2 threads.
    func testCentroidCodesGiveTheFloatArgmin() {
        var rng = TestRandom(seed: 5)
        for (metric, d, k, n) in [(KMeansMetric.l2, 128, 300, 2000), (.l2, 37, 65, 700), (.innerProduct, 64, 200, 1500)] {
            var centroids = rng.floats(k * d).map { $0 * 3 }
            for j in 0..<d { centroids[7 * d + j] = centroids[3 * d + j] }  // centroid 7 duplicates 3
            var points: [Float] = []
            for i in 0..<n {
                let c = i % k
                if i % 10 == 0 {
                    points += centroids[c * d ..< (c + 1) * d]  // on a centroid
                } else {
                    points += (0..<d).map { centroids[c * d + $0] + Float.random(in: -1...1, using: &rng) * (i % 2 == 0 ? 0.3 : 3) }
                }
            }
            var reference = KMeansAssigner(dimension: d, metric: metric, usesCodes: false)
            reference.setCentroids(centroids, count: k)
            XCTAssertFalse(reference.assignsFromCodes)
            var expected = [UInt32](repeating: 0, count: n), expectedBest = [Float](repeating: 0, count: n)
            points.withUnsafeBufferPointer { p in
                expected.withUnsafeMutableBufferPointer { l in expectedBest.withUnsafeMutableBufferPointer { b in reference.assign(p, count: n, labels: l, scores: b) } }
            }
            for threads in [1, 2] {
                var assigner = KMeansAssigner(dimension: d, metric: metric, threads: threads)
                assigner.setCentroids(centroids, count: k)
                XCTAssertEqual(assigner.assignsFromCodes, CentroidCodes.available)
                var labels = [UInt32](repeating: 9999, count: n), best = [Float](repeating: 0, count: n)
                points.withUnsafeBufferPointer { p in
                    labels.withUnsafeMutableBufferPointer { l in best.withUnsafeMutableBufferPointer { b in assigner.assign(p, count: n, labels: l, scores: b) } }
                }
                var differ = 0
                for i in 0..<n {
                    XCTAssertNotEqual(labels[i], 7, "\(metric) point \(i): the duplicate centroid 7 never wins over 3")
                    if labels[i] != expected[i] {
                        differ += 1
                        XCTAssertEqual(best[i], expectedBest[i], accuracy: 1e-4 * max(1, abs(expectedBest[i])),
                                       "\(metric) d=\(d) point \(i): labels \(labels[i]) vs \(expected[i]) are not a float tie")
                    }
                    if metric == .l2 && i % 10 == 0 && i % k != 7 { XCTAssertEqual(Int(labels[i]), i % k, "point \(i) sits on its centroid") }
                }
                XCTAssertLessThanOrEqual(differ, n / 100, "\(metric) d=\(d): only float ties may differ")
            }
        }
    }

    /// Centroids that are not all finite cannot be coded: the BLAS path answers instead.
    func testNonFiniteCentroidsTakeTheBLASPath() {
        var rng = TestRandom(seed: 6)
        let d = 8, k = 80
        var centroids = rng.floats(k * d)
        centroids[5 * d + 2] = .infinity
        var assigner = KMeansAssigner(dimension: d, metric: .l2)
        assigner.setCentroids(centroids, count: k)
        XCTAssertFalse(assigner.assignsFromCodes)
        let point = Array(centroids[9 * d ..< 10 * d])
        var label: [UInt32] = [0]
        point.withUnsafeBufferPointer { p in label.withUnsafeMutableBufferPointer { assigner.assign(p, count: 1, labels: $0) } }
        XCTAssertEqual(label[0], 9)
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
