/// A fixed-capacity heap keeping the `k` best `(score, id)` pairs pushed into it.
///
/// Order is total and deterministic: higher score first, ties broken by smaller id. The kept set
/// is therefore exactly the first `k` entries of a full sort by (score descending, id ascending).
/// NaN scores are ignored. `reset(k:)` with `k <= capacity` allocates nothing, so one `TopK` can
/// serve many queries.
public struct TopK {
    /// Min-heap on result order: `heap[0]` is the worst kept entry. Slots `count..<heap.count`
    /// are spare capacity.
    @usableFromInline var heap: [ScoredID]
    @usableFromInline var _count: Int
    @usableFromInline var _k: Int

    /// Creates an empty heap with room for `capacity` entries and `k == capacity`.
    public init(capacity: Int) {
        precondition(capacity >= 0, "TopK: capacity must not be negative, got \(capacity)")
        heap = Array(repeating: ScoredID(id: 0, score: 0), count: capacity)
        _count = 0
        _k = capacity
    }

    /// Empties the heap and sets how many entries it keeps. Allocates only when `k > capacity`.
    public mutating func reset(k: Int) {
        precondition(k >= 0, "TopK.reset: k must not be negative, got \(k)")
        if k > heap.count {
            heap = Array(repeating: ScoredID(id: 0, score: 0), count: k)
        }
        _k = k
        _count = 0
    }

    /// Number of entries kept now (at most `k`).
    @inlinable public var count: Int { _count }
    /// How many entries the heap keeps.
    @inlinable public var k: Int { _k }
    /// Entries the heap can keep without allocating.
    @inlinable public var capacity: Int { heap.count }
    /// True when `count == k`.
    @inlinable public var isFull: Bool { _count >= _k }

    /// The score a new entry must beat to enter: `-infinity` while not full, `+infinity` when
    /// `k == 0`, otherwise the worst kept score (an equal score enters only with a smaller id
    /// than the worst kept entry's).
    @inlinable
    public var threshold: Float {
        if _count < _k { return -.infinity }
        if _k == 0 { return .infinity }
        return heap[0].score
    }

    /// Offers one entry; kept if it ranks among the `k` best so far. NaN scores are ignored.
    @inlinable
    public mutating func push(score: Float, id: UInt32) {
        if score.isNaN { return }
        if _count < _k {
            let n = _count
            heap.withUnsafeMutableBufferPointer { h in
                h[n] = ScoredID(id: id, score: score)
                TopK.siftUp(h, from: n)
            }
            _count = n &+ 1
            return
        }
        guard _k > 0 else { return }
        let worst = heap[0]
        guard score > worst.score || (score == worst.score && id < worst.id) else { return }
        let n = _count
        heap.withUnsafeMutableBufferPointer { h in
            h[0] = ScoredID(id: id, score: score)
            TopK.siftDown(h, from: 0, count: n)
        }
    }

    /// The kept entries, best first (score descending, then id ascending).
    public func sorted() -> [ScoredID] {
        var out: [ScoredID] = []
        out.reserveCapacity(_count)
        sorted(into: &out)
        return out
    }

    /// Replaces the contents of `out` with the kept entries, best first. Allocates only when
    /// `out` lacks capacity. The heap itself is left unchanged.
    public func sorted(into out: inout [ScoredID]) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: heap[0..<_count])
        // In-place heapsort: moving the worst entry to the end each round leaves best first.
        out.withUnsafeMutableBufferPointer { h in
            var end = h.count
            while end > 1 {
                end -= 1
                h.swapAt(0, end)
                TopK.siftDown(h, from: 0, count: end)
            }
        }
    }

    @inlinable
    static func siftUp(_ h: UnsafeMutableBufferPointer<ScoredID>, from start: Int) {
        var i = start
        let item = h[i]
        while i > 0 {
            let parent = (i &- 1) >> 1
            guard item.ranksBelow(h[parent]) else { break }
            h[i] = h[parent]
            i = parent
        }
        h[i] = item
    }

    @inlinable
    static func siftDown(_ h: UnsafeMutableBufferPointer<ScoredID>, from start: Int, count: Int) {
        var i = start
        let item = h[i]
        while true {
            var child = 2 &* i &+ 1
            if child >= count { break }
            let right = child &+ 1
            if right < count && h[right].ranksBelow(h[child]) { child = right }
            guard h[child].ranksBelow(item) else { break }
            h[i] = h[child]
            i = child
        }
        h[i] = item
    }
}
