/// A binary heap of (score, row) with a fixed capacity, kept in one allocation. `Max` pops the
/// highest score first (the candidate frontier), `Min` the lowest (the result set, whose top
/// is the score a newcomer must beat).
struct ScoreHeap {
    var scores: UnsafeMutablePointer<Float>
    var rows: UnsafeMutablePointer<UInt32>
    var count = 0
    var capacity: Int
    let isMax: Bool

    init(capacity: Int, isMax: Bool) {
        self.capacity = max(capacity, 1)
        self.isMax = isMax
        scores = .allocate(capacity: self.capacity)
        rows = .allocate(capacity: self.capacity)
    }

    func deallocate() {
        scores.deallocate()
        rows.deallocate()
    }

    /// Makes room for `n` entries (allocates only when growing).
    mutating func reserve(_ n: Int) {
        guard n > capacity else { return }
        let s = UnsafeMutablePointer<Float>.allocate(capacity: n)
        let r = UnsafeMutablePointer<UInt32>.allocate(capacity: n)
        s.update(from: scores, count: count)
        r.update(from: rows, count: count)
        deallocate()
        scores = s
        rows = r
        capacity = n
    }

    @inline(__always)
    func above(_ a: Float, _ b: Float) -> Bool { isMax ? a > b : a < b }

    @inline(__always)
    var topScore: Float { scores[0] }
    @inline(__always)
    var topRow: UInt32 { rows[0] }

    @inline(__always)
    mutating func push(_ score: Float, _ row: UInt32) {
        if count == capacity { reserve(capacity * 2) }
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) >> 1
            if !above(score, scores[parent]) { break }
            scores[i] = scores[parent]
            rows[i] = rows[parent]
            i = parent
        }
        scores[i] = score
        rows[i] = row
    }

    /// Removes the top entry: the last one takes its place and sifts down.
    @inline(__always)
    mutating func pop() {
        count -= 1
        guard count > 0 else { return }
        replaceTop(scores[count], rows[count])
    }

    /// Replaces the top entry with (`score`, `row`), sifting it down: `push` then `pop` in one sift.
    @inline(__always)
    mutating func replaceTop(_ score: Float, _ row: UInt32) {
        var i = 0
        while true {
            var child = 2 * i + 1
            if child >= count { break }
            if child + 1 < count && above(scores[child + 1], scores[child]) { child += 1 }
            if !above(scores[child], score) { break }
            scores[i] = scores[child]
            rows[i] = rows[child]
            i = child
        }
        scores[i] = score
        rows[i] = row
    }

    @inline(__always)
    mutating func removeAll() { count = 0 }
}

/// Epoch-tagged visited marks: clearing is one increment, not a memset.
struct VisitedSet {
    var tags: UnsafeMutablePointer<UInt16>
    var capacity: Int
    var epoch: UInt16 = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        tags = .allocate(capacity: self.capacity)
        tags.initialize(repeating: 0, count: self.capacity)
    }

    func deallocate() { tags.deallocate() }

    /// Starts a new search over rows `0 ..< rows`.
    mutating func reset(rows: Int) {
        if rows > capacity {
            tags.deallocate()
            capacity = rows + rows / 4
            tags = .allocate(capacity: capacity)
            tags.initialize(repeating: 0, count: capacity)
            epoch = 0
        }
        if epoch == UInt16.max {
            tags.update(repeating: 0, count: capacity)
            epoch = 0
        }
        epoch += 1
    }

    /// Marks `row`; returns false when it was already marked in this search.
    @inline(__always)
    mutating func insert(_ row: UInt32) -> Bool {
        if tags[Int(row)] == epoch { return false }
        tags[Int(row)] = epoch
        return true
    }
}

/// Per-thread scratch of a graph search: heaps and visited marks, reused across queries.
final class SearchScratch {
    var candidates: ScoreHeap
    var results: ScoreHeap
    var visited: VisitedSet
    /// One neighbour list's unvisited rows, their vector pointers and scores.
    let batchCapacity = 512
    let batchRows = UnsafeMutablePointer<UInt32>.allocate(capacity: 512)
    let batchPointers = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: 512)
    let batchScores = UnsafeMutablePointer<Float>.allocate(capacity: 512)

    init(rows: Int, ef: Int) {
        candidates = ScoreHeap(capacity: max(ef * 4, 64), isMax: true)
        results = ScoreHeap(capacity: max(ef + 1, 64), isMax: false)
        visited = VisitedSet(capacity: rows)
    }

    deinit {
        candidates.deallocate()
        results.deallocate()
        visited.deallocate()
        batchRows.deallocate()
        batchPointers.deallocate()
        batchScores.deallocate()
    }
}
