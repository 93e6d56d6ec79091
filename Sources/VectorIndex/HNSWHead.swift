import Store
import VectorMath

/// The items with the largest norms (inner product only), which win a large share of
/// inner-product top-k lists and which a graph walk reaches badly: every query scores them
/// all and merges them with the graph's answer (the graph's answer leaves them out).
///
/// The scan is exact at a quarter of the memory traffic and little compute: one-byte codes of
/// the head rows (per-dimension ranges of the head itself, nothing clipped) in the 16-row block
/// layout of `BlockedCodes`, scored in integers against the query folded into two int8 parts.
/// A code score is off from the float32 score by at most `B = sum_j |q_j| step_j / 2` (the
/// codes) plus the split's error; only rows whose code score is within that of the k-th best
/// are scored again in float32 and offered to the top-k.
final class HNSWHead {
    let dimension: Int
    /// Head rows, largest norm first.
    private(set) var rows: [UInt32] = []
    /// The same rows as a set (`contains` in O(1)).
    private(set) var set = RowBitmap()
    /// `rows.count x dimension` floats, row-major, in `rows` order.
    private var vectors: UnsafeMutablePointer<Float>
    /// One byte per component of each head row, in `rows` order, and their quantizer.
    private let codes: BlockedCodes
    private(set) var quantizer: ScalarQuantizer?
    private var capacity: Int
    /// Position of each head row in `rows`.
    private var position: [UInt32: Int] = [:]
    /// The smallest squared norm chosen by the last `select`: online rows at least this large join.
    private var floorNorm: Float = .infinity
    /// How many rows the last `select` chose.
    private var target = 0

    init(dimension: Int) {
        self.dimension = dimension
        capacity = 0
        vectors = .allocate(capacity: 1)
        codes = BlockedCodes(dimension: dimension)
    }

    deinit { vectors.deallocate() }

    var count: Int { rows.count }
    var memoryBytes: Int { capacity * dimension * 4 + codes.memoryBytes + rows.count * 4 + set.count / 8 }

    /// Picks the `fraction` of live rows of `table` (vectors, not `deleted`) with the largest
    /// norms (ties: smaller row first) and copies their vectors. O(rows log head).
    func select(_ table: VectorTable, fraction: Double, deleted: RowBitmap) {
        var live = 0
        if fraction > 0 {
            for r in 0..<table.rows where table.hasVector(UInt32(r)) && !deleted.contains(UInt32(r)) { live += 1 }
        }
        let n = fraction > 0 ? min(live, Int((Double(live) * fraction).rounded(.up))) : 0
        var top = TopK(capacity: n)
        if n > 0 {
            for r in 0..<table.rows where table.hasVector(UInt32(r)) && !deleted.contains(UInt32(r)) {
                top.push(score: table.squaredNorm(UInt32(r)), id: UInt32(r))
            }
        }
        let sorted = top.sorted()
        let chosen = sorted.map(\.id)
        floorNorm = sorted.last?.score ?? .infinity
        target = chosen.count
        reserve(chosen.count)
        rows = chosen
        set = RowBitmap(capacity: table.rows)
        position = [:]
        position.reserveCapacity(chosen.count)
        for (i, r) in chosen.enumerated() {
            (vectors + i * dimension).update(from: table.vector(r)!, count: dimension)
            _ = set.insert(r)
            position[r] = i
        }
        quantizer = nil
        codes.removeAll()
        if !chosen.isEmpty {
            let q = ScalarQuantizer(training: UnsafeBufferPointer(start: vectors, count: chosen.count * dimension),
                                    dimension: dimension)
            for i in 0..<chosen.count { encode(i, vectors + i * dimension, q) }
            quantizer = q
        }
    }

    /// Writes the codes of head row `i` (at most one past the last) for `vector`.
    private func encode(_ i: Int, _ vector: UnsafePointer<Float>, _ quantizer: ScalarQuantizer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: dimension) { row in
            _ = quantizer.encode(vector, into: row.baseAddress!)
            codes.set(i, codes: row.baseAddress!)
        }
    }

    /// Room for `n` rows (keeps the rows held).
    private func reserve(_ n: Int) {
        guard n > capacity else { return }
        let newCapacity = max(n, capacity + capacity / 2)
        let v = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * dimension)
        v.update(from: vectors, count: rows.count * dimension)
        vectors.deallocate()
        vectors = v
        codes.reserve(newCapacity)
        capacity = newCapacity
    }

    /// Online writes without a new selection: a head row gets its new vector; a row whose norm
    /// reaches the head's smallest joins it (any split of the rows between head and graph
    /// answers correctly: the graph's answer leaves out exactly the head's rows). Deleted rows
    /// may stay (searches skip deleted rows). Returns false when the caller must `select`
    /// again: a vector lies outside the codes' ranges (the scan's bound would not hold), or
    /// the head grew past twice the size `select` chose.
    func update(_ upserted: [UInt32], _ table: VectorTable) -> Bool {
        guard let quantizer, !rows.isEmpty else { return upserted.isEmpty }
        let upper = quantizer.upper
        for row in upserted {
            guard let v = table.vector(row), table.hasVector(row) else { continue }
            let joins = set.contains(row) || table.squaredNorm(row) >= floorNorm
            guard joins else { continue }
            for j in 0..<dimension where !(v[j] >= quantizer.lower[j] && v[j] <= upper[j]) { return false }
            let i: Int
            if let at = position[row] {
                i = at
            } else {
                guard rows.count < 2 * max(target, 1) else { return false }
                reserve(rows.count + 1)
                i = rows.count
                rows.append(row)
                set.insert(row)
                position[row] = i
            }
            (vectors + i * dimension).update(from: v, count: dimension)
            encode(i, v, quantizer)
        }
        return true
    }

    /// Scores every head row against `query` and offers to `top` those that can enter it,
    /// with their exact float32 scores. Rows at or past `visible` (newer than the caller's
    /// snapshot) and rows `accept` refuses are skipped. `floor` is a score the final k-th best
    /// is known to reach (the k-th best exact score of the rows the walk found, head rows
    /// included; -infinity when unknown): rows that cannot reach it are never scored in float32.
    func scan(_ query: UnsafePointer<Float>, scratch: BlockedQueryScratch, visible: UInt32, floor: Float = -.infinity,
              top: inout TopK, accept: ((UInt32) -> Bool)?) {
        let n = rows.count, d = dimension
        guard n > 0, let quantizer else { return }
        scratch.reserve(rows: n)
        let weights = scratch.weights, hi = scratch.hi, lo = scratch.lo, passing = scratch.passing
        let constant = quantizer.prepare(query, metric: .innerProduct, weights: weights)
        let (scale, splitError) = codes.split(weights, hi: hi, lo: lo)
        // |q . x - q . x^| <= sum_j |q_j| |x_j - x^_j| <= sum_j |q_j| step_j / 2 (weights = q_j step_j),
        // and q . x^ = constant + scale * code score +- splitError; the margins cover float rounding.
        var bound: Float = 0
        for j in 0..<d { bound += abs(weights[j]) }
        bound = bound * 0.5 * 1.001 + splitError + 1e-6 * abs(constant)
        let minimum = max(top.threshold, floor) - bound - constant
        // Rows below this code score cannot reach the k-th best (a little looser than exact,
        // never tighter: a lower bound on the true score floor).
        let minScore = minimum == -.infinity ? -Float.infinity : (minimum / scale) * (minimum > 0 ? 0.999 : 1.001) - 1
        let passed = codes.scan(hi: hi, lo: lo, minScore: minScore, into: passing)
        rows.withUnsafeBufferPointer { rows in
            for p in 0..<passed {
                let i = Int(passing[p])
                let row = rows[i]
                guard row < visible, accept?(row) ?? true else { continue }
                top.push(score: Kernels.dot(query, vectors + i * d, count: d), id: row)
            }
        }
    }
}
