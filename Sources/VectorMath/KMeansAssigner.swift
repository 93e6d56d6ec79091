import COpenBLAS
import Dispatch

/// Nearest centroid of many points at once: one BLAS product per chunk of points
/// (`-2 X C^T`, plus `|c|^2` in the scan that follows, for L2; `-X C^T` for inner product),
/// then a SIMD argmin per point. Reusable scratch: set the centroids once, assign many chunks.
///
/// With AVX-512 VNNI and at least `CentroidCodes.minimumCentroids` centroids, the nearest
/// centroid is found from one-byte centroid codes instead (exact: the few centroids the codes'
/// error bound cannot rule out are scored again in float32), at about a third of the BLAS
/// product's time; `usesCodes` false keeps the BLAS path.
///
/// Ties go to the smaller centroid number, so results do not depend on the thread count.
public struct KMeansAssigner {
    /// Floats of scratch score matrix (16 MiB): bounds the points scored per BLAS product.
    static let scoreBudget = 1 << 22

    public let dimension: Int
    public let metric: KMeansMetric
    /// Threads for the argmin pass (the BLAS product uses OpenBLAS's threads).
    public let threads: Int
    /// Centroids as set, row-major.
    public private(set) var centroids: [Float] = []
    public private(set) var centroidCount = 0
    /// Added to each score before the argmin: `|c|^2` for L2, 0 for inner product.
    var offsets: [Float] = []
    var scores: [Float] = []
    /// Whether `setCentroids` may build centroid codes (when the machine has VNNI).
    public let usesCodes: Bool
    /// The centroids' codes, when the code path is on for the centroids set.
    var codes: CentroidCodes?
    /// Whether assignments go through the centroid codes.
    public var assignsFromCodes: Bool { codes != nil }

    public init(dimension: Int, metric: KMeansMetric, threads: Int = 1, usesCodes: Bool = true) {
        precondition(dimension >= 1, "KMeansAssigner: dimension must be positive, got \(dimension)")
        self.dimension = dimension
        self.metric = metric
        self.threads = max(1, threads)
        self.usesCodes = usesCodes
    }

    /// Sets `count` row-major centroids (for `.innerProduct`, already at unit length if the
    /// caller wants spherical k-means).
    public mutating func setCentroids(_ values: [Float], count: Int) {
        precondition(count >= 1 && values.count == count * dimension,
                     "KMeansAssigner.setCentroids: \(values.count) floats for \(count) centroids of dimension \(dimension)")
        centroids = values
        centroidCount = count
        let d = dimension
        offsets = (0..<count).map { c in
            metric == .l2 ? values.withUnsafeBufferPointer { Distance.squaredNorm($0.baseAddress! + c * d, count: d) } : 0
        }
        // Codes need finite centroids (their quantizer's ranges); others take the BLAS path.
        codes = usesCodes && count >= CentroidCodes.minimumCentroids && CentroidCodes.available
            && values.allSatisfy(\.isFinite)
            ? CentroidCodes(centroids: values, count: count, dimension: d, metric: metric, norms: offsets) : nil
    }

    /// Writes the nearest centroid of each of `count` row-major points into `labels`, and into
    /// `scores` (when given) its score: `|c|^2 - 2 x.c` for L2 (add `|x|^2` for the squared
    /// distance), `x.c` for inner product. `progress` gets the points done after each chunk.
    public mutating func assign(_ points: UnsafeBufferPointer<Float>, count: Int,
                                labels: UnsafeMutableBufferPointer<UInt32>,
                                scores best: UnsafeMutableBufferPointer<Float>? = nil,
                                progress: ((Int) -> Void)? = nil) {
        let k = centroidCount, d = dimension
        precondition(k >= 1, "KMeansAssigner.assign: no centroids set")
        precondition(points.count >= count * d && labels.count >= count && (best?.count ?? count) >= count,
                     "KMeansAssigner.assign: buffers too small for \(count) points")
        if let codes {
            assignFromCodes(codes, points, count: count, labels: labels, scores: best, progress: progress)
            return
        }
        let chunk = max(1, min(count, Self.scoreBudget / k))
        if scores.count < chunk * k { scores = [Float](repeating: 0, count: chunk * k) }
        let alpha: Float = metric == .l2 ? -2 : -1
        let isL2 = metric == .l2
        let workers = threads
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            scores.withUnsafeMutableBufferPointer { s in
                centroids.withUnsafeBufferPointer { c in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(n), blasint(k), blasint(d), alpha,
                                points.baseAddress! + start * d, blasint(d), c.baseAddress!, blasint(d), 0,
                                s.baseAddress!, blasint(k))
                }
                offsets.withUnsafeBufferPointer { o in
                    let sBase = s.baseAddress!, oBase = o.baseAddress!
                    Self.splitRows(n, workers: workers) { rows, _ in
                        for r in rows {
                            let (label, value) = Self.argmin(sBase + r * k, offsets: isL2 ? oBase : nil, count: k)
                            labels[start + r] = UInt32(label)
                            best?[start + r] = isL2 ? value : -value
                        }
                    }
                }
            }
            start += n
            progress?(start)
        }
    }

    /// `assign` through the centroid codes: chunks of points split over `threads` threads,
    /// each with its own scratch.
    private func assignFromCodes(_ codes: CentroidCodes, _ points: UnsafeBufferPointer<Float>, count: Int,
                                 labels: UnsafeMutableBufferPointer<UInt32>, scores best: UnsafeMutableBufferPointer<Float>?,
                                 progress: ((Int) -> Void)?) {
        let d = dimension, isL2 = metric == .l2, workers = threads
        let scratches = (0..<workers).map { _ in codes.makeScratch() }
        let chunk = 1 << 14
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            Self.splitRows(n, workers: workers) { rows, w in
                for r in rows {
                    let (label, value) = codes.nearest(points.baseAddress! + (start + r) * d, scratch: scratches[w])
                    labels[start + r] = UInt32(label)
                    best?[start + r] = isL2 ? value : -value
                }
            }
            start += n
            progress?(start)
        }
    }

    /// Runs `body(rows, worker)` over `0..<n` split into `workers` contiguous ranges on as
    /// many threads (one call on this thread when `workers` is 1 or `n` is under 64).
    static func splitRows(_ n: Int, workers: Int, _ body: (Range<Int>, Int) -> Void) {
        guard workers > 1 && n >= 64 else {
            body(0..<n, 0)
            return
        }
        let per = (n + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = min(n, w * per), hi = min(n, lo + per)
            if lo < hi { body(lo..<hi, w) }
        }
    }

    /// Index and value of the smallest `row[i] + offsets[i]` (offsets nil: 0); ties to the
    /// smaller index; NaN never wins.
    @inlinable
    static func argmin(_ row: UnsafePointer<Float>, offsets: UnsafePointer<Float>?, count k: Int) -> (Int, Float) {
        var bestValue = SIMD16<Float>(repeating: .infinity)
        var bestIndex = SIMD16<Int32>(repeating: 0)
        var index = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        let step = SIMD16<Int32>(repeating: 16)
        let raw = UnsafeRawPointer(row)
        var i = 0
        if let offsets {
            let rawOffsets = UnsafeRawPointer(offsets)
            while i &+ 16 <= k {
                let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
                    + rawOffsets.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
                let better = v .< bestValue
                bestValue.replace(with: v, where: better)
                bestIndex.replace(with: index, where: better)
                index &+= step
                i &+= 16
            }
        } else {
            while i &+ 16 <= k {
                let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
                let better = v .< bestValue
                bestValue.replace(with: v, where: better)
                bestIndex.replace(with: index, where: better)
                index &+= step
                i &+= 16
            }
        }
        var value = Float.infinity
        var label = Int32.max
        for lane in 0..<16 where bestValue[lane] < value || (bestValue[lane] == value && bestIndex[lane] < label) {
            value = bestValue[lane]
            label = bestIndex[lane]
        }
        while i < k {
            let v = row[i] + (offsets?[i] ?? 0)
            if v < value { value = v; label = Int32(i) }
            i &+= 1
        }
        return (label == Int32.max ? 0 : Int(label), value)
    }
}
