import Foundation
import Store
import Synchronization
import VectorIndex

/// One version of what the server serves: a store, the index opened on it (nil while the
/// store holds nothing), and the shared caches that belong to that index. Replaced whole on
/// reload; requests in flight keep the generation they started with.
final class ServingGeneration: @unchecked Sendable {
    let number: UInt64
    let store: EmbeddingStore
    /// The directory `store` was opened from, symlinks resolved (a reload reopens the store
    /// only when this changes).
    let resolvedPath: String
    let index: (any SearchIndex)?
    let meta: StoreMeta?
    let categories = CategoryBitmaps()

    init(number: UInt64, store: EmbeddingStore, resolvedPath: String, indexKind: IndexKind?) throws {
        self.number = number
        self.store = store
        self.resolvedPath = resolvedPath
        meta = try store.meta()
        index = meta == nil ? nil : try IndexCatalog.open(store, kind: indexKind)
        // Answers name their items from memory (about 0.05 s and 8 MB per million numeric ids).
        if meta != nil { try store.cacheRowIDs(.item) }
    }

    var summary: String {
        guard let index else { return "empty store \(resolvedPath) (no data yet)" }
        return "\(index.summary) over \(resolvedPath)"
    }
}

/// The current generation plus two counters that let workers notice changes without a lock:
/// `version` (a new generation) and `epoch` (a committed write: renew snapshots).
final class GenerationBox: @unchecked Sendable {
    private let lock = NSLock()
    private var current: ServingGeneration
    let version = Atomic<UInt64>(0)
    let epoch = Atomic<UInt64>(0)

    init(_ generation: ServingGeneration) {
        current = generation
        version.store(generation.number, ordering: .releasing)
    }

    var generation: ServingGeneration {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func replace(with generation: ServingGeneration) {
        lock.lock()
        current = generation
        lock.unlock()
        version.store(generation.number, ordering: .releasing)
        bumpEpoch()
    }

    func bumpEpoch() {
        epoch.add(1, ordering: .releasing)
    }
}
