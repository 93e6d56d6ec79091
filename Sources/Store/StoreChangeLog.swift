import Foundation

/// What a run of committed writes changed that in-memory caches derived from item features
/// and histories depend on (the ranking catalogue, category bitmaps), so that they can patch
/// themselves instead of reading every item row again.
public struct StoreChanges: Sendable, Equatable {
    /// The write sequence the changes start after and the one they end at.
    public var after: UInt64
    public var through: UInt64
    /// Item rows created or whose features were set, increasing, each once.
    public var itemRows: [UInt32]
    /// The item row of every history entry added (one per entry: counts, not a set).
    public var historyItems: [UInt32]

    public init(after: UInt64, through: UInt64, itemRows: [UInt32] = [], historyItems: [UInt32] = []) {
        self.after = after
        self.through = through
        self.itemRows = itemRows
        self.historyItems = historyItems
    }
}

/// The changes of the last writes committed through one `EmbeddingStore` object, by write
/// sequence. A write from elsewhere (another process, another `EmbeddingStore` on the same
/// directory) leaves a gap, and a span with a gap is not answered: the cache must reload.
/// Bounded: the oldest entries are dropped.
public final class StoreChangeLog: @unchecked Sendable {
    private struct Entry {
        let sequence: UInt64
        let itemRows: [UInt32]
        let historyItems: [UInt32]
    }

    /// Entries kept (writes); older spans reload.
    public static let capacity = 4096
    private let lock = NSLock()
    private var entries: [Entry] = []

    init() {}

    func record(sequence: UInt64, itemRows: [UInt32], historyItems: [UInt32]) {
        lock.lock()
        defer { lock.unlock() }
        if let last = entries.last, last.sequence >= sequence { entries.removeAll() }  // the store was replaced under us
        entries.append(Entry(sequence: sequence, itemRows: itemRows, historyItems: historyItems))
        if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity / 2) }
    }

    /// The changes of writes `after + 1 ... through`, or nil unless every one of them was
    /// recorded here. `after == through` gives no changes.
    public func changes(after: UInt64, through: UInt64) -> StoreChanges? {
        guard after <= through else { return nil }
        if after == through { return StoreChanges(after: after, through: through) }
        lock.lock()
        defer { lock.unlock() }
        // Sequences increase along `entries`; find the write right after `after`.
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].sequence <= after { lo = mid + 1 } else { hi = mid }
        }
        let count = Int(through - after)
        guard lo + count <= entries.count else { return nil }
        var rows = Set<UInt32>()
        var history: [UInt32] = []
        for (i, e) in entries[lo ..< lo + count].enumerated() {
            guard e.sequence == after + 1 + UInt64(i) else { return nil }  // a write not recorded here
            rows.formUnion(e.itemRows)
            history += e.historyItems
        }
        return StoreChanges(after: after, through: through, itemRows: rows.sorted(), historyItems: history)
    }
}
