import Foundation
import LMDB
import Store
import VectorIndex

/// What one worker thread owns: the retriever and ranking session of the generation it
/// serves, a read snapshot renewed after writes (epoch style), and its metrics. Used by that
/// thread only; nothing here is allocated per request.
final class WorkerScratch {
    let box: GenerationBox
    let handler: any RecommendHandler
    let metrics = ServerMetrics()
    private(set) var generation: ServingGeneration?
    private(set) var retriever: (any Retriever)?
    private(set) var session: (any RecommendSession)?
    private var version = UInt64.max
    private var snapshot: Transaction?
    private var snapshotLive = false
    private var snapshotEpoch: UInt64 = 0

    init(box: GenerationBox, handler: any RecommendHandler) {
        self.box = box
        self.handler = handler
    }

    deinit { release() }

    /// Moves to the current generation if it changed, and renews the snapshot if it was reset
    /// or a write committed since it was taken. Returns the reader for this request.
    func prepare() throws -> StoreReader {
        if box.version.load(ordering: .acquiring) != version || generation == nil {
            release()
            let g = box.generation
            generation = g
            version = g.number
            if let index = g.index {
                let r = index.makeRetriever()
                retriever = r
                session = try handler.makeSession(store: g.store, index: index, retriever: r)
            }
        }
        let g = generation!
        // Read the epoch before renewing: the snapshot is then at least as new as that write.
        let epoch = box.epoch.load(ordering: .acquiring)
        if let snapshot {
            if !snapshotLive || snapshotEpoch != epoch {
                if snapshotLive { snapshot.reset() }
                snapshotLive = false
                try snapshot.renew()
            }
        } else {
            snapshot = try g.store.beginSnapshot()
        }
        snapshotLive = true
        snapshotEpoch = epoch
        return g.store.reader(on: snapshot!)
    }

    /// Releases the snapshot's pages while the worker waits for work (a long-lived idle
    /// reader would pin old pages and grow the file).
    func idle() {
        if snapshotLive, let snapshot {
            snapshot.reset()
            snapshotLive = false
        }
    }

    /// Drops everything tied to the current generation.
    func release() {
        snapshot?.abort()
        snapshot = nil
        snapshotLive = false
        retriever = nil
        session = nil
        generation = nil
    }
}

/// Scratch for requests answered inline on NNG's threads, which are not ours and not fixed:
/// a thread takes one for one request and puts it back. The stack grows to the number of NNG
/// threads that answered at once (NNG's task threads, twice the cores) and no further.
/// A scratch put back releases its read snapshot (as an idle worker does); the store is
/// opened with MDB_NOTLS, so the renewed snapshot may live on another thread.
final class ScratchStack: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [WorkerScratch] = []
    private let make: () -> WorkerScratch

    init(make: @escaping () -> WorkerScratch) {
        self.make = make
    }

    func take() -> WorkerScratch {
        lock.lock()
        if let scratch = free.popLast() {
            lock.unlock()
            return scratch
        }
        lock.unlock()
        return make()
    }

    func put(_ scratch: WorkerScratch) {
        scratch.idle()
        lock.lock()
        free.append(scratch)
        lock.unlock()
    }

    /// Shutdown: drops every snapshot and index reference held here.
    func releaseAll() {
        lock.lock()
        defer { lock.unlock() }
        for scratch in free { scratch.release() }
    }
}
