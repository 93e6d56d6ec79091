/// How k-means compares a point with a centroid.
public enum KMeansMetric: String, Sendable, CaseIterable {
    /// Nearest centroid by squared L2 distance (`|x|^2 - 2 x.c + |c|^2`); centroids are means.
    case l2
    /// Largest inner product `x.c` with centroids kept at unit length (spherical k-means).
    case innerProduct = "ip"
}

/// How the first centroids are chosen.
public enum KMeansInitialization: String, Sendable, CaseIterable {
    /// Distinct points drawn uniformly (seeded): cheap whatever the number of clusters.
    case random
    /// k-means++: each next centroid is a point drawn with probability proportional to its
    /// squared distance to the centroids chosen so far. Costs one pass over the points per
    /// cluster (no BLAS), so it suits a few hundred clusters, not thousands.
    case kmeansPlusPlus = "kmeans++"
}

/// The knobs of one k-means run. The same parameters and points give the same centroids.
public struct KMeansParameters: Sendable, Equatable {
    public var clusters: Int
    /// Lloyd iterations (assign every point, then move every centroid to its points' mean).
    public var iterations: Int
    public var metric: KMeansMetric
    public var initialization: KMeansInitialization
    public var seed: UInt64
    /// Threads for the passes around the BLAS products (the products use OpenBLAS's own threads).
    public var threads: Int

    public init(clusters: Int, iterations: Int = 10, metric: KMeansMetric = .l2,
                initialization: KMeansInitialization = .random, seed: UInt64 = 1, threads: Int = 1) {
        self.clusters = clusters
        self.iterations = iterations
        self.metric = metric
        self.initialization = initialization
        self.seed = seed
        self.threads = threads
    }
}

/// What a k-means run produced.
public struct KMeansResult: Sendable {
    /// `clusters x dimension`, row-major.
    public var centroids: [Float]
    /// The cluster of each training point after the last iteration's assignment.
    public var assignments: [UInt32]
    /// Per iteration: the sum of squared distances to the nearest centroid (l2), or the sum of
    /// the best inner products (ip), measured at that iteration's assignment.
    public var objective: [Double]
    /// Clusters that fell empty and were refilled by splitting a large one.
    public var repairedClusters: Int
}

/// Lloyd's k-means whose assignment step is a BLAS matrix product: `-2 X C^T + |c|^2` for L2
/// (the `|x|^2` term does not change the argmin), `X C^T` for inner product. Points are taken
/// a chunk at a time so the score matrix stays small. Empty clusters are refilled by splitting
/// a large cluster in two (its centroid nudged both ways), so every centroid ends up with points
/// when there are at least as many distinct points as clusters.
public enum KMeans {
    /// Clusters `count` row-major points of `dimension` floats. `progress`, when given, is
    /// called after each chunk with (points assigned so far, points to assign in all).
    public static func train(_ points: UnsafeBufferPointer<Float>, count: Int, dimension: Int,
                             parameters: KMeansParameters,
                             progress: ((_ done: Int, _ total: Int) -> Void)? = nil) -> KMeansResult {
        let k = parameters.clusters, d = dimension
        precondition(k >= 1, "KMeans.train: clusters must be at least 1, got \(k)")
        precondition(count >= k, "KMeans.train: \(count) points cannot make \(k) clusters")
        precondition(d >= 1 && points.count >= count * d,
                     "KMeans.train: buffer of \(points.count) floats for \(count) points of dimension \(d)")
        precondition(parameters.iterations >= 1, "KMeans.train: iterations must be at least 1, got \(parameters.iterations)")
        var rng = KMeansRandom(seed: parameters.seed)
        var centroids: [Float]
        switch parameters.initialization {
        case .random: centroids = randomInitialization(points, count: count, dimension: d, clusters: k, rng: &rng)
        case .kmeansPlusPlus: centroids = plusPlusInitialization(points, count: count, dimension: d, clusters: k, rng: &rng)
        }
        if parameters.metric == .innerProduct { normalizeRows(&centroids, dimension: d) }

        var assigner = KMeansAssigner(dimension: d, metric: parameters.metric, threads: parameters.threads)
        var labels = [UInt32](repeating: 0, count: count)
        var best = [Float](repeating: 0, count: count)
        var objective: [Double] = []
        var repaired = 0
        let total = count * parameters.iterations
        for iteration in 0..<parameters.iterations {
            assigner.setCentroids(centroids, count: k)
            labels.withUnsafeMutableBufferPointer { l in
                best.withUnsafeMutableBufferPointer { b in
                    assigner.assign(points, count: count, labels: l, scores: b) { done in
                        progress?(iteration * count + done, total)
                    }
                }
            }
            objective.append(objectiveValue(points, count: count, dimension: d, best: best, metric: parameters.metric))
            var sizes = updateCentroids(&centroids, points, count: count, dimension: d, clusters: k, labels: labels)
            repaired += repairEmpty(&centroids, sizes: &sizes, dimension: d, totalPoints: count, rng: &rng)
            if parameters.metric == .innerProduct { normalizeRows(&centroids, dimension: d) }
        }
        return KMeansResult(centroids: centroids, assignments: labels, objective: objective, repairedClusters: repaired)
    }

    // MARK: initialisation

    static func randomInitialization(_ points: UnsafeBufferPointer<Float>, count: Int, dimension d: Int,
                                     clusters k: Int, rng: inout KMeansRandom) -> [Float] {
        // Partial Fisher-Yates over point numbers: k distinct points.
        var order = Array(0..<count)
        var centroids = [Float](repeating: 0, count: k * d)
        for i in 0..<k {
            let j = i + Int(rng.next(below: UInt64(count - i)))
            order.swapAt(i, j)
            let src = points.baseAddress! + order[i] * d
            for t in 0..<d { centroids[i * d + t] = src[t] }
        }
        return centroids
    }

    static func plusPlusInitialization(_ points: UnsafeBufferPointer<Float>, count: Int, dimension d: Int,
                                       clusters k: Int, rng: inout KMeansRandom) -> [Float] {
        var centroids = [Float](repeating: 0, count: k * d)
        var nearest = [Float](repeating: .infinity, count: count)
        var chosen = Int(rng.next(below: UInt64(count)))
        for c in 0..<k {
            let src = points.baseAddress! + chosen * d
            for t in 0..<d { centroids[c * d + t] = src[t] }
            var total = 0.0
            nearest.withUnsafeMutableBufferPointer { near in
                for i in 0..<count {
                    let dist = Distance.squaredL2(points.baseAddress! + i * d, src, count: d)
                    if dist < near[i] { near[i] = dist }
                    total += Double(near[i])
                }
            }
            guard c + 1 < k else { break }
            if total > 0 {
                // Draw a point with probability nearest[i] / total.
                var target = rng.nextDouble() * total
                chosen = count - 1
                for i in 0..<count {
                    target -= Double(nearest[i])
                    if target < 0 && nearest[i] > 0 { chosen = i; break }
                }
            } else {
                chosen = Int(rng.next(below: UInt64(count)))  // every point is a centroid already
            }
        }
        return centroids
    }

    // MARK: update

    /// Moves each centroid to the mean of its points; returns the cluster sizes.
    static func updateCentroids(_ centroids: inout [Float], _ points: UnsafeBufferPointer<Float>, count: Int,
                                dimension d: Int, clusters k: Int, labels: [UInt32]) -> [Int] {
        var sums = [Double](repeating: 0, count: k * d)
        var sizes = [Int](repeating: 0, count: k)
        sums.withUnsafeMutableBufferPointer { s in
            for i in 0..<count {
                let c = Int(labels[i])
                sizes[c] += 1
                let src = points.baseAddress! + i * d
                let dst = s.baseAddress! + c * d
                for t in 0..<d { dst[t] += Double(src[t]) }
            }
        }
        for c in 0..<k where sizes[c] > 0 {
            let scale = 1 / Double(sizes[c])
            for t in 0..<d { centroids[c * d + t] = Float(sums[c * d + t] * scale) }
        }
        return sizes
    }

    /// Refills each empty cluster by splitting a cluster of two or more points (drawn with
    /// probability proportional to its size beyond one): both get the large cluster's centroid,
    /// nudged in opposite directions, and share its points. Returns the clusters refilled.
    static func repairEmpty(_ centroids: inout [Float], sizes: inout [Int], dimension d: Int, totalPoints: Int,
                            rng: inout KMeansRandom) -> Int {
        let k = sizes.count
        var repaired = 0
        let nudge: Float = 1.0 / 1024
        for empty in 0..<k where sizes[empty] == 0 {
            let spare = sizes.reduce(0) { $0 + max(0, $1 - 1) }
            guard spare > 0 else { break }
            var target = rng.nextDouble() * Double(spare)
            var donor = 0
            for c in 0..<k where sizes[c] > 1 {
                donor = c
                target -= Double(sizes[c] - 1)
                if target < 0 { break }
            }
            for t in 0..<d {
                let v = centroids[donor * d + t]
                let up = v * (1 + nudge), down = v * (1 - nudge)
                centroids[empty * d + t] = t % 2 == 0 ? up : down
                centroids[donor * d + t] = t % 2 == 0 ? down : up
            }
            sizes[empty] = sizes[donor] / 2
            sizes[donor] -= sizes[empty]
            repaired += 1
        }
        return repaired
    }

    static func objectiveValue(_ points: UnsafeBufferPointer<Float>, count: Int, dimension d: Int, best: [Float],
                               metric: KMeansMetric) -> Double {
        var total = 0.0
        for i in 0..<count {
            switch metric {
            case .l2: total += Double(max(0, best[i] + Distance.squaredNorm(points.baseAddress! + i * d, count: d)))
            case .innerProduct: total += Double(best[i])
            }
        }
        return total
    }

    static func normalizeRows(_ rows: inout [Float], dimension d: Int) {
        rows.withUnsafeMutableBufferPointer { r in
            for i in 0..<(r.count / d) { Distance.normalize(r.baseAddress! + i * d, count: d) }
        }
    }
}
