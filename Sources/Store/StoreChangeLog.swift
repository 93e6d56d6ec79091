import Foundation
import VectorMath

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
        /// False for a write too big to list (`StoreWriter.changeLimit`): a span holding it reloads.
        let complete: Bool
        let itemRows: [UInt32]
        let historyItems: [UInt32]
        var size: Int { itemRows.count + historyItems.count }
    }

    /// Entries kept (writes) and row numbers kept over all of them (4 bytes each); past either,
    /// the oldest entries go and spans reaching back to them reload.
    public static let capacity = 4096
    public static let rowBudget = 1 << 22
    private let lock = NSLock()
    private var entries: [Entry] = []
    private var rows = 0

    init() {}

    func record(sequence: UInt64, complete: Bool, itemRows: [UInt32], historyItems: [UInt32]) {
        lock.lock()
        defer { lock.unlock() }
        if let last = entries.last, last.sequence >= sequence {  // the store was replaced under us
            entries.removeAll()
            rows = 0
        }
        let entry = complete ? Entry(sequence: sequence, complete: true, itemRows: itemRows, historyItems: historyItems)
                             : Entry(sequence: sequence, complete: false, itemRows: [], historyItems: [])
        entries.append(entry)
        rows += entry.size
        var drop = 0
        while drop < entries.count - 1 && (entries.count - drop > Self.capacity || rows > Self.rowBudget) {
            rows -= entries[drop].size
            drop += 1
        }
        if drop > 0 { entries.removeFirst(drop) }
    }

    /// The changes of writes `after + 1 ... through`, or nil unless every one of them was
    /// recorded here. `after == through` gives no changes.
    public func changes(after: UInt64, through: UInt64) -> StoreChanges? {
        guard after <= through else { return nil }
        if after == through { return StoreChanges(after: after, through: through) }
        lock.lock()
        defer { lock.unlock() }
        // Sequences increase along `entries`; find the write right after `after`.
        let lo = entries.partitionPoint { $0.sequence <= after }
        let count = Int(through - after)
        guard lo + count <= entries.count else { return nil }
        var rows = Set<UInt32>()
        var history: [UInt32] = []
        for (i, e) in entries[lo ..< lo + count].enumerated() {
            guard e.sequence == after + 1 + UInt64(i), e.complete else { return nil }  // a write not recorded here, or too big
            rows.formUnion(e.itemRows)
            history += e.historyItems
        }
        return StoreChanges(after: after, through: through, itemRows: rows.sorted(), historyItems: history)
    }
}
