import Foundation
import VectorMath

/// Exact top-k by brute force, for tests, benchmarks and `annctl eval`. Scores follow the
/// project's "higher is better" rule: inner product, cosine similarity, or minus the squared
/// L2 distance. Ties go to the lower row number. Runs on all cores, in plain Swift.
public enum GroundTruth {
    /// Row numbers of the `k` best rows of `data` for each query, best first.
    /// `queries` and `data` are row-major with `dimension` values per row.
    public static func topK(queries: [Float], data: [Float], dimension: Int, k: Int, metric: Metric) -> [[UInt32]] {
        topKWithScores(queries: queries, data: data, dimension: dimension, k: k, metric: metric).ids
    }

    /// As `topK`, with the score of each result.
    public static func topKWithScores(queries: [Float], data: [Float], dimension: Int, k: Int,
                                      metric: Metric) -> (ids: [[UInt32]], scores: [[Float]]) {
        queries.withUnsafeBufferPointer { q in
            data.withUnsafeBufferPointer { x in
                topKWithScores(queries: q, data: x, dimension: dimension, k: k, metric: metric)
            }
        }
    }

    /// As `topK`, over buffers (for data that does not live in an array, such as a mapped file).
    public static func topKWithScores(queries: UnsafeBufferPointer<Float>, data: UnsafeBufferPointer<Float>,
                                      dimension d: Int, k: Int, metric: Metric) -> (ids: [[UInt32]], scores: [[Float]]) {
        precondition(d > 0 && k >= 0, "dimension must be positive and k non-negative")
        precondition(queries.count % d == 0 && data.count % d == 0, "buffer sizes are not multiples of dimension \(d)")
        let nq = queries.count / d
        let n = data.count / d
        precondition(n <= Int(UInt32.max), "at most 2^32 - 1 rows")
        let keep = min(k, n)
        var ids = [[UInt32]](repeating: [], count: nq)
        var scores = [[Float]](repeating: [], count: nq)
        if nq == 0 || keep == 0 { return (ids, scores) }

        // 1/|x| per row for cosine. L2 sums squared differences directly (no cancellation).
        let rowTerm = metric == .cosine ? inverseNorms(data, rows: n, dimension: d) : []
        let queryTerm = metric == .cosine ? inverseNorms(queries, rows: nq, dimension: d) : []

        // Each task takes a block of queries and streams the data once for the whole block.
        let block = max(1, min(16, nq / (max(1, activeProcessors()) * 2)))
        let tasks = (nq + block - 1) / block
        ids.withUnsafeMutableBufferPointer { idsOut in
            scores.withUnsafeMutableBufferPointer { scoresOut in
                rowTerm.withUnsafeBufferPointer { rowTerm in
                    queryTerm.withUnsafeBufferPointer { queryTerm in
                        let idsBase = idsOut.baseAddress!
                        let scoresBase = scoresOut.baseAddress!
                        DispatchQueue.concurrentPerform(iterations: tasks) { t in
                            let firstQuery = t * block
                            let count = min(block, nq - firstQuery)
                            var lists = (0..<count).map { _ in TopList(capacity: keep) }
                            for row in 0..<n {
                                let x = data.baseAddress! + row * d
                                for b in 0..<count {
                                    let qi = firstQuery + b
                                    let q = queries.baseAddress! + qi * d
                                    let score: Float
                                    switch metric {
                                    case .innerProduct: score = dotProduct(q, x, d)
                                    case .cosine: score = dotProduct(q, x, d) * (queryTerm[qi] * rowTerm[row])
                                    case .l2: score = -squaredDistance(q, x, d)
                                    }
                                    lists[b].offer(score, UInt32(row))
                                }
                            }
                            for b in 0..<count {
                                (idsBase + firstQuery + b).pointee = lists[b].ids
                                (scoresBase + firstQuery + b).pointee = lists[b].scores
                            }
                        }
                    }
                }
            }
        }
        return (ids, scores)
    }

    /// Mean share of the true top-k found: the hits of `found[q].prefix(k)` in `truth[q].prefix(k)`,
    /// summed over queries and divided by the summed size of the truth lists. 1 when nothing is expected.
    public static func recall(at k: Int, found: [[UInt32]], truth: [[UInt32]]) -> Double {
        precondition(found.count == truth.count, "found has \(found.count) lists, truth \(truth.count)")
        var hits = 0
        var expected = 0
        for (f, t) in zip(found, truth) {
            let wanted = Set(t.prefix(k))
            expected += wanted.count
            hits += Set(f.prefix(k)).intersection(wanted).count
        }
        return expected == 0 ? 1 : Double(hits) / Double(expected)
    }

    /// Sum of products with eight running sums (the compiler turns them into vector lanes).
    @inline(__always)
    static func dotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
        var j = 0
        while j + 8 <= d {
            s0 += a[j] * b[j]; s1 += a[j + 1] * b[j + 1]
            s2 += a[j + 2] * b[j + 2]; s3 += a[j + 3] * b[j + 3]
            s4 += a[j + 4] * b[j + 4]; s5 += a[j + 5] * b[j + 5]
            s6 += a[j + 6] * b[j + 6]; s7 += a[j + 7] * b[j + 7]
            j += 8
        }
        while j < d {
            s0 += a[j] * b[j]
            j += 1
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    }

    /// Sum of squared differences, with eight running sums.
    @inline(__always)
    static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
        var j = 0
        while j + 8 <= d {
            let e0 = a[j] - b[j], e1 = a[j + 1] - b[j + 1], e2 = a[j + 2] - b[j + 2], e3 = a[j + 3] - b[j + 3]
            let e4 = a[j + 4] - b[j + 4], e5 = a[j + 5] - b[j + 5], e6 = a[j + 6] - b[j + 6], e7 = a[j + 7] - b[j + 7]
            s0 += e0 * e0; s1 += e1 * e1; s2 += e2 * e2; s3 += e3 * e3
            s4 += e4 * e4; s5 += e5 * e5; s6 += e6 * e6; s7 += e7 * e7
            j += 8
        }
        while j < d {
            let e = a[j] - b[j]
            s0 += e * e
            j += 1
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    }

    /// 1/|x| per row; 0 for a zero row (its cosine with anything is then 0).
    private static func inverseNorms(_ rows: UnsafeBufferPointer<Float>, rows n: Int, dimension d: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: n) { out, initialized in
            for i in 0..<n {
                let p = rows.baseAddress! + i * d
                let norm2 = dotProduct(p, p, d)
                out[i] = norm2 > 0 ? 1 / norm2.squareRoot() : 0
            }
            initialized = n
        }
    }

    private static func activeProcessors() -> Int { ProcessInfo.processInfo.activeProcessorCount }
}

/// The best `capacity` (score, id) pairs seen so far, best first. Rows arrive in increasing id
/// order, so an equal score never displaces an earlier (lower) id.
struct TopList {
    var scores: [Float] = []
    var ids: [UInt32] = []
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        scores.reserveCapacity(capacity)
        ids.reserveCapacity(capacity)
    }

    @inline(__always)
    mutating func offer(_ score: Float, _ id: UInt32) {
        if scores.count == capacity {
            guard score > scores[capacity - 1] else { return }
            scores.removeLast()
            ids.removeLast()
        } else if score.isNaN {
            return
        }
        var i = scores.count
        while i > 0 && scores[i - 1] < score { i -= 1 }
        scores.insert(score, at: i)
        ids.insert(id, at: i)
    }
}
