#if canImport(Glibc)
import Glibc
#endif

/// The copies of an IVF index's lists (`IVFResidentLists`) that queries may use, by the
/// committed state they hold, and the copy an online write staged for the state it is about to
/// commit.
///
/// A write stages its copy without knowing whether its transaction will commit; the copy is
/// promoted the first time a read-only snapshot shows its `store_sequence` (proof of the
/// commit). A staged copy whose write was aborted is never promoted: the next write finds the
/// committed sequence in its transaction, not the staged one, and stages on the committed copy
/// instead. The last `kept` committed copies stay here for readers of older snapshots; a
/// retriever also keeps the copy it last used, so an older copy lives as long as a reader uses
/// it, and is freed (with the lists only it holds) when none does.
final class IVFResidentStates: @unchecked Sendable {
    /// Committed copies kept for lookups, newest last.
    static let kept = 3

    private var committed: [IVFResidentLists] = []
    private var staged: IVFResidentLists?
    private var mutex = pthread_mutex_t()

    init() { pthread_mutex_init(&mutex, nil) }

    deinit { pthread_mutex_destroy(&mutex) }

    /// The copy of the committed state `sequence` of build `buildID`, or nil when there is none
    /// (the lists are then read from the snapshot). Call only with a read-only snapshot's values.
    func lookup(sequence: UInt64, buildID: UInt64) -> IVFResidentLists? {
        locked {
            if let staged, staged.sequence == sequence, staged.buildID == buildID {
                promote(staged)
                self.staged = nil
            }
            return committed.last { $0.sequence == sequence && $0.buildID == buildID }
        }
    }

    /// Installs the copy loaded at open (a committed state).
    func install(_ copy: IVFResidentLists) {
        locked {
            committed.removeAll { $0.buildID != copy.buildID || $0.sequence == copy.sequence }
            promote(copy)
        }
    }

    /// Stages the state `sequence` that a write transaction is about to commit: the lists in
    /// `changes` replaced in the copy of the state the transaction started from (`before`, its
    /// `store_sequence` before this write; equal to `sequence` on a second write in the same
    /// transaction). Without a copy of `before` (the store was written by another process),
    /// nothing is staged and later states are read from the store.
    func stage(_ changes: [Int: IVFListBlock?], before: UInt64, sequence: UInt64, buildID: UInt64,
               centroids: UnsafePointer<Float>) {
        locked {
            var base: IVFResidentLists?
            if let staged, staged.sequence == before, staged.buildID == buildID {
                // A second write of the same transaction, or the staged write committed.
                if before != sequence { promote(staged) }
                base = staged
            } else {
                base = committed.last { $0.sequence == before && $0.buildID == buildID }
            }
            staged = base?.replacing(changes, sequence: sequence, centroids: centroids)
        }
    }

    /// True when a copy is held (online writes then make copies of the lists they rewrite).
    var holdsCopies: Bool { locked { !committed.isEmpty || staged != nil } }

    /// The sequences of the committed copies held, oldest first (tests and reports).
    var sequences: [UInt64] { locked { committed.map(\.sequence) } }

    private func promote(_ copy: IVFResidentLists) {
        committed.removeAll { $0 === copy }
        committed.append(copy)
        if committed.count > Self.kept { committed.removeFirst(committed.count - Self.kept) }
    }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}
