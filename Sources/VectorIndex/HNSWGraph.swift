import VectorMath

#if canImport(Glibc)
import Glibc
#endif

/// The links of an HNSW graph over item rows `0 ..< count`, in memory.
///
/// Level 0 is one allocation of fixed records `[n | m0 neighbour rows]`; upper levels are one
/// allocation per node that has any, `level x [n | m rows]`. Rows without a vector are not in
/// the graph (`level == notInGraph`). Concurrent builders lock a node's lists through striped
/// mutexes; searches after the build read without locks.
final class HNSWGraph: @unchecked Sendable {
    static let notInGraph: UInt8 = 0xFF
    /// Marks a level-0 link added by `linkUnreachable` (a repair link; rows are below 2^31):
    /// walks follow it only when asked to (`searchLevel(followRepairs:)`, large `ef` or `k`),
    /// so top-k walks with a small `ef` cost the same as in a graph without them.
    static let repairFlag: UInt32 = 1 << 31

    let m: Int
    let m0: Int
    private(set) var capacity: Int
    var count: Int
    /// Level-0 records, in huge-page memory (`HugePageBuffer`).
    private(set) var level0: UnsafeMutablePointer<UInt32>
    private var level0Buffer: HugePageBuffer
    var levels: UnsafeMutablePointer<UInt8>
    var upper: UnsafeMutablePointer<UnsafeMutablePointer<UInt32>?>
    var entryPoint: UInt32 = 0
    var maxLevel: Int = -1
    /// Nodes deleted: still traversed (they keep the graph connected), never returned.
    var deleted = RowBitmap()

    private let stripes = 4096
    private let locks: UnsafeMutablePointer<pthread_mutex_t>
    private var globalLock = pthread_mutex_t()

    init(m: Int, capacity: Int) {
        self.m = m
        self.m0 = 2 * m
        self.capacity = max(capacity, 1)
        self.count = 0
        level0Buffer = HugePageBuffer(bytes: self.capacity * (1 + 2 * m) * 4)
        level0 = level0Buffer.base.bindMemory(to: UInt32.self, capacity: self.capacity * (1 + 2 * m))
        levels = .allocate(capacity: self.capacity)
        levels.initialize(repeating: Self.notInGraph, count: self.capacity)
        upper = .allocate(capacity: self.capacity)
        upper.initialize(repeating: nil, count: self.capacity)
        locks = .allocate(capacity: stripes)
        for i in 0..<stripes { pthread_mutex_init(locks + i, nil) }
        pthread_mutex_init(&globalLock, nil)
    }

    deinit {
        for i in 0..<capacity { upper[i]?.deallocate() }
        upper.deallocate()
        levels.deallocate()
        for i in 0..<stripes { pthread_mutex_destroy(locks + i) }
        locks.deallocate()
    }

    /// Grows the arrays to hold rows `0 ..< n` (not while other threads use the graph).
    func reserve(_ n: Int) {
        guard n > capacity else { return }
        let newCapacity = max(n, capacity + capacity / 2)
        let record = 1 + m0
        let buffer = HugePageBuffer(bytes: newCapacity * record * 4)
        let l0 = buffer.base.bindMemory(to: UInt32.self, capacity: newCapacity * record)
        l0.update(from: level0, count: capacity * record)
        level0Buffer = buffer
        level0 = l0
        let lv = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        lv.initialize(repeating: Self.notInGraph, count: newCapacity)
        lv.update(from: levels, count: capacity)
        levels.deallocate()
        levels = lv
        let up = UnsafeMutablePointer<UnsafeMutablePointer<UInt32>?>.allocate(capacity: newCapacity)
        up.initialize(repeating: nil, count: newCapacity)
        up.update(from: upper, count: capacity)
        upper.deallocate()
        upper = up
        capacity = newCapacity
    }

    @inline(__always)
    func isInGraph(_ row: UInt32) -> Bool { Int(row) < count && levels[Int(row)] != Self.notInGraph }

    /// The list `[n | rows...]` of `row` at `level` (which must be <= the node's level).
    @inline(__always)
    func list(_ row: UInt32, _ level: Int) -> UnsafeMutablePointer<UInt32> {
        level == 0 ? level0 + Int(row) * (1 + m0) : upper[Int(row)]! + (level - 1) * (1 + m)
    }

    @inline(__always)
    func maxNeighbours(_ level: Int) -> Int { level == 0 ? m0 : m }

    /// Makes `row` a node of `level` (allocating its upper lists), with no links yet.
    func addNode(_ row: UInt32, level: Int) {
        levels[Int(row)] = UInt8(level)
        list(row, 0).pointee = 0
        upper[Int(row)]?.deallocate()
        upper[Int(row)] = nil
        if level > 0 {
            let p = UnsafeMutablePointer<UInt32>.allocate(capacity: level * (1 + m))
            p.initialize(repeating: 0, count: level * (1 + m))
            upper[Int(row)] = p
        }
    }

    @inline(__always)
    func lock(_ row: UInt32) { pthread_mutex_lock(locks + Int(row) % stripes) }
    @inline(__always)
    func unlock(_ row: UInt32) { pthread_mutex_unlock(locks + Int(row) % stripes) }
    func lockGlobal() { pthread_mutex_lock(&globalLock) }
    func unlockGlobal() { pthread_mutex_unlock(&globalLock) }

    /// Copies the neighbours of `row` at `level` (under its lock), repair links unmarked.
    func neighbours(_ row: UInt32, _ level: Int) -> [UInt32] {
        lock(row)
        defer { unlock(row) }
        let l = list(row, level)
        return (0..<Int(l.pointee)).map { l[1 + $0] & ~Self.repairFlag }
    }

    /// Replaces the neighbours of `row` at `level` (caller holds the lock).
    func setNeighbours(_ row: UInt32, _ level: Int, _ rows: [UInt32]) {
        let l = list(row, level)
        let n = min(rows.count, maxNeighbours(level))
        for i in 0..<n { l[1 + i] = rows[i] }
        l.pointee = UInt32(n)
    }

    /// Bytes of memory the links take.
    var memoryBytes: Int {
        var bytes = capacity * ((1 + m0) * 4 + 1 + 8)
        for i in 0..<count where levels[i] != Self.notInGraph && levels[i] > 0 { bytes += Int(levels[i]) * (1 + m) * 4 }
        return bytes
    }
}

