import Foundation
import Logging
import Store
import Synchronization

/// What the NNG server and the in-process endpoint share: the store and index generation,
/// the request handler, the single writer, every thread's metrics, reload and the poll that
/// notices writes made by other processes.
final class ServingCore: @unchecked Sendable {
    let configuration: ServerConfiguration
    let logger: Logger
    let box: GenerationBox
    let startedAt = RequestHandler.now()
    private(set) var handler: RequestHandler!
    private(set) var writes: WriteExecutor!
    private let metricsLock = NSLock()
    private var allMetrics: [ServerMetrics] = []
    private let reloadLock = NSLock()
    private let stopping = Atomic<Bool>(false)
    private var poller: DispatchSourceTimer?
    private var lastSequence: UInt64 = 0

    init(configuration: ServerConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
        logger = configuration.logger
        let path = configuration.storePath
        let store = try EmbeddingStore(path: path, create: configuration.createStore)
        let first = try ServingGeneration(number: 1, store: store, resolvedPath: Self.resolve(path), indexKind: configuration.indexKind)
        if let index = first.index { try configuration.recommendHandler.prepare(store: store, index: index) }
        box = GenerationBox(first)
        handler = RequestHandler(core: self)
        writes = WriteExecutor(core: self)
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Marks the core as stopping; true the first time.
    func beginStopping() -> Bool {
        !stopping.exchange(true, ordering: .acquiringAndReleasing)
    }

    /// Metrics of every thread that answers requests (read by `stats`).
    var metrics: [ServerMetrics] {
        metricsLock.lock()
        defer { metricsLock.unlock() }
        return allMetrics
    }

    /// Scratch for a new worker thread (its metrics are registered for `stats`).
    func makeScratch() -> WorkerScratch {
        let scratch = WorkerScratch(box: box, handler: configuration.recommendHandler)
        metricsLock.lock()
        allMetrics.append(scratch.metrics)
        metricsLock.unlock()
        return scratch
    }

    /// Opens the store path again (a new directory if the path now leads elsewhere) and the
    /// index on it, and serves that from the next request on; requests in flight finish on
    /// the generation they started with. On failure the current generation stays.
    @discardableResult
    func reload(reason: String) throws -> UInt64 {
        reloadLock.lock()
        defer { reloadLock.unlock() }
        let old = box.generation
        let resolved = Self.resolve(configuration.storePath)
        do {
            let store = resolved == old.resolvedPath ? old.store : try EmbeddingStore(path: configuration.storePath)
            let next = try ServingGeneration(number: old.number + 1, store: store, resolvedPath: resolved,
                                             indexKind: configuration.indexKind)
            if let index = next.index { try configuration.recommendHandler.prepare(store: store, index: index) }
            box.replace(with: next)
            logger.notice("reloaded (\(reason)): generation \(next.number), \(next.summary)")
            return next.number
        } catch {
            logger.error("reload (\(reason)) failed, still serving generation \(old.number): \(error)")
            throw error
        }
    }

    /// Polls the store's write sequence: a write committed by another process (an import)
    /// bumps the epoch so that workers renew their snapshots.
    func startPolling() {
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        let interval = configuration.snapshotPollInterval
        let ms = Int(interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000)
        timer.schedule(deadline: .now() + .milliseconds(ms), repeating: .milliseconds(max(ms, 10)))
        timer.setEventHandler { [weak self] in self?.poll() }
        poller = timer
        timer.resume()
    }

    func stopPolling() {
        poller?.cancel()
        poller = nil
    }

    private func poll() {
        guard let sequence = try? box.generation.store.read({ try $0.writeSequence() }) else { return }
        if sequence != lastSequence {
            lastSequence = sequence
            box.bumpEpoch()
        }
    }

    static func resolve(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }
}
