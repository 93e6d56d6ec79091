import Store
import VectorMath

/// The items with the largest norms (inner product only), which win a large share of
/// inner-product top-k lists and which a graph walk reaches badly: every query scores them
/// all and merges them with the graph's answer (the graph's answer leaves them out).
///
/// The scan is exact at a quarter of the memory traffic: one kernel call scores one-byte codes
/// of the head rows (per-dimension ranges of the head itself, nothing clipped), which are off
/// from the float32 score by at most `B = sum_j |q_j| step_j / 2`; only rows whose code score
/// is within `B` of the current k-th best are scored again in float32 and offered to the top-k.
final class HNSWHead {
    let dimension: Int
    /// Head rows, largest norm first.
    private(set) var rows: [UInt32] = []
    /// The same rows as a set (`contains` in O(1)).
    private(set) var set = RowBitmap()
    /// `rows.count x dimension` floats, row-major, in `rows` order.
    private var vectors: UnsafeMutablePointer<Float>
    /// `0 ..< rows.count`: the ids of a contiguous gather.
    private var identity: UnsafeMutablePointer<UInt32>
    /// One byte per component of each head row, in `rows` order, and their quantizer.
    private var codes: UnsafeMutablePointer<UInt8>
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
        identity = .allocate(capacity: 1)
        codes = .allocate(capacity: 1)
    }

    deinit {
        vectors.deallocate()
        identity.deallocate()
        codes.deallocate()
    }

    var count: Int { rows.count }
    var memoryBytes: Int { capacity * (dimension * 5 + 4) + rows.count * 4 + set.count / 8 }

    /// Picks the `fraction` of live rows of `table` (vectors, not `deleted`) with the largest
    /// norms (ties: smaller row first) and copies their vectors. O(rows log head).
    func select(_ table: VectorTable, fraction: Double, deleted: RowBitmap) {
        var live = 0
        for r in 0..<table.rows where table.hasVector(UInt32(r)) && !deleted.contains(UInt32(r)) { live += 1 }
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
        if !chosen.isEmpty {
            let q = ScalarQuantizer(training: UnsafeBufferPointer(start: vectors, count: chosen.count * dimension),
                                    dimension: dimension)
            q.encode(rows: vectors, count: chosen.count, into: codes)
            quantizer = q
        }
    }

    /// Room for `n` rows (keeps the rows held).
    private func reserve(_ n: Int) {
        guard n > capacity else { return }
        let newCapacity = max(n, capacity + capacity / 2)
        let v = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * dimension)
        let c = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity * dimension)
        let ids = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
        v.update(from: vectors, count: rows.count * dimension)
        c.update(from: codes, count: rows.count * dimension)
        for i in 0..<newCapacity { ids[i] = UInt32(i) }
        vectors.deallocate()
        codes.deallocate()
        identity.deallocate()
        vectors = v
        codes = c
        identity = ids
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
            quantizer.encode(v, into: codes + i * dimension)
        }
        return true
    }

    /// Scores every head row against `query` and offers to `top` those that can enter it,
    /// with their exact float32 scores. `weights` is scratch for `dimension` floats, `scores`
    /// for `count`; rows at or past `visible` (newer than the caller's snapshot) and rows
    /// `accept` refuses are skipped.
    func scan(_ query: UnsafePointer<Float>, weights: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
              visible: UInt32, top: inout TopK, accept: ((UInt32) -> Bool)?) {
        let n = rows.count, d = dimension
        guard n > 0, let quantizer else { return }
        let constant = quantizer.prepare(query, metric: .innerProduct, weights: weights)
        Kernels.u8DotGather(weights, base: codes, stride: d, ids: identity, count: n, dimension: d, into: scores)
        // |q . x - q . x^| <= sum_j |q_j| |x_j - x^_j| <= sum_j |q_j| step_j / 2 (weights = q_j step_j);
        // the margin also covers float rounding.
        var bound: Float = 0
        for j in 0..<d { bound += abs(weights[j]) }
        bound = bound * 0.5 * 1.001 + 1e-6 * abs(constant)
        var threshold = top.threshold - bound - constant
        rows.withUnsafeBufferPointer { rows in
            for i in 0..<n where scores[i] >= threshold {
                let row = rows[i]
                guard row < visible, accept?(row) ?? true else { continue }
                top.push(score: Kernels.dot(query, vectors + i * d, count: d), id: row)
                threshold = top.threshold - bound - constant
            }
        }
    }
}
