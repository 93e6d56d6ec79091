import Foundation
import Logging
import NNG
import Synchronization
import VectorMath
import Wire

/// The ann.v1 server: an NNG REP socket listening on one or more URLs, a fixed pool of work
/// items (one NNG context each), a worker pool sized to the cores for queries whose cost the
/// client controls, and one writer thread for upsert and delete. Short reads (search within
/// `inlineSearchBreadth`, stats, health) are answered on the NNG thread that received them,
/// with scratch from a small stack (see `WorkItem` and `RequestHandler.route`).
///
/// Life cycle: `init` opens the store and listens; `start()` arms every work item; `reload()`
/// switches to a freshly opened index (SIGHUP); `shutdown()` stops receiving, lets every
/// request in flight finish and reply, then closes the socket and the store (SIGINT/SIGTERM).
public final class AnnServer: @unchecked Sendable {
    /// A write waiting for the writer thread.
    struct WriteJob {
        let item: WorkItem
        let request: Ann_V1_Request
        let encoding: WireEncoding
    }

    /// A decoded query waiting for a worker.
    struct QueryJob {
        let item: WorkItem
        let request: Ann_V1_Request
        let encoding: WireEncoding
    }

    public let configuration: ServerConfiguration
    /// The listen URLs with the port filled in where the configuration said port 0.
    public private(set) var boundURLs: [String] = []
    let core: ServingCore
    private let socket: Socket
    private var items: [WorkItem] = []
    private var workers: WorkerPool<QueryJob>!
    /// Scratch of the requests answered inline on NNG's threads.
    private let inlineScratch: ScratchStack
    /// Requests answered inline (not counting error replies to unreadable messages).
    let inlineAnswered = Atomic<Int>(0)
    private var writer: WorkerPool<WriteJob>!
    private let condition = NSCondition()
    private var finishedItems = 0
    private var started = false
    private var closed = false

    /// Opens the store and the index, and listens on every configured URL.
    public init(configuration: ServerConfiguration) throws {
        self.configuration = configuration
        BLAS.setThreads(1)  // parallelism comes from the workers, not from inside one product
        core = try ServingCore(configuration: configuration)
        inlineScratch = ScratchStack(make: core.makeScratch)
        socket = try Socket.replier()
        do {
            try socket.setReceiveMaxSize(configuration.limits.socketReceiveLimit)
            for url in configuration.listen {
                let listener: Listener
                do {
                    listener = try socket.listen(url)
                } catch let error as NNGError {
                    throw ServerError.listen(url: url, reason: error.description)
                }
                boundURLs.append(Self.boundURL(url, listener))
            }
            let handler = core.handler!
            workers = WorkerPool(name: "ann-worker", count: configuration.workers, makeScratch: core.makeScratch) { job, scratch in
                job.item.reply(handler.respond(job.request, encoding: job.encoding, scratch: scratch, receivedAt: job.item.receivedAt))
            }
            writer = WorkerPool(name: "ann-writer", count: 1, makeScratch: core.makeScratch) { job, scratch in
                job.item.reply(handler.respond(job.request, encoding: job.encoding, scratch: scratch,
                                                    receivedAt: job.item.receivedAt))
            }
            items = try (0..<configuration.contexts).map { _ in try WorkItem(server: self, socket: socket) }
        } catch {
            socket.close()
            workers?.stop()
            writer?.stop()
            closed = true
            throw error
        }
    }

    deinit {
        if !closed { _ = shutdown(timeout: 1) }
    }

    /// `tcp://host:0` with the port the system chose.
    private static func boundURL(_ url: String, _ listener: Listener) -> String {
        guard url.hasPrefix("tcp"), url.hasSuffix(":0"), let port = try? listener.boundPort() else { return url }
        return String(url.dropLast(1)) + String(port)
    }

    /// One line for the startup log: where, what, how many.
    public var summary: String {
        let g = core.box.generation
        let counts = (try? g.store.read { try $0.counts() }).map { "\($0.itemVectors) item vectors, \($0.users) users" } ?? "counts unavailable"
        return "listening on \(boundURLs.joined(separator: ", ")); index: \(g.summary); \(counts); "
            + "ranking: \(configuration.recommendHandler.summary); \(configuration.contexts) contexts, \(configuration.workers) workers"
    }

    /// Starts serving: every work item begins receiving.
    public func start() {
        condition.lock()
        guard !started else { condition.unlock(); return }
        started = true
        condition.unlock()
        core.startPolling()
        for item in items { item.start() }
        core.logger.info("\(summary)")
    }

    /// Switches to the index as it is now on disk (the store path is opened again if it leads
    /// to another directory). Requests in flight finish on the old one. Throws (and keeps
    /// serving the old one) when the new one cannot be opened.
    public func reload() throws {
        try core.reload(reason: "reload requested")
    }

    /// The `stats` reply, without a round trip.
    public func stats() -> Ann_V1_StatsReply {
        let scratch = WorkerScratch(box: core.box, handler: configuration.recommendHandler)
        defer { scratch.release() }
        return (try? core.handler.stats(scratch: scratch)) ?? Ann_V1_StatsReply()
    }

    /// Stops receiving, waits (up to `timeout`) until every request in flight has been
    /// answered, then closes the socket, stops the threads and closes the store. Returns
    /// false when some request did not finish in time (it was dropped). Idempotent.
    @discardableResult
    public func shutdown(timeout: TimeInterval = 10) -> Bool {
        guard core.beginStopping() else { return waitForItems(timeout: 0) }
        core.stopPolling()
        for item in items { item.stopReceiving() }
        let answered = waitForItems(timeout: timeout)
        nngSleep(for: configuration.shutdownLinger)
        socket.close()
        for item in items { item.close() }
        workers?.stop()
        writer?.stop()
        inlineScratch.releaseAll()
        closed = true
        let served = ServerMetrics.summary(of: core.metrics).reduce(0) { $0 + $1.count }
        core.logger.info("stopped after \(served) requests\(answered ? "" : "; some requests in flight were dropped")")
        return answered
    }

    // MARK: work items

    /// The WORK step, on the thread whose AIO callback received the request: decode, then
    /// answer here (short reads, error replies) or hand to the workers or the writer.
    func work(_ item: WorkItem) {
        let handler = core.handler!
        let scratch = inlineScratch.take()
        let decoded = item.message.withBody { handler.decode($0, scratch: scratch, receivedAt: item.receivedAt) }
        switch decoded {
        case .reply(let bytes):
            inlineScratch.put(scratch)
            item.reply(bytes)
        case let .request(request, encoding):
            let route = handler.route(request, scratch: scratch)
            if route == .inline {
                let bytes = handler.respond(request, encoding: encoding, scratch: scratch, receivedAt: item.receivedAt)
                inlineScratch.put(scratch)
                inlineAnswered.add(1, ordering: .relaxed)
                item.reply(bytes)
                return
            }
            inlineScratch.put(scratch)
            if route == .writer {
                submitWrite(WriteJob(item: item, request: request, encoding: encoding))
            } else if !workers.submit(QueryJob(item: item, request: request, encoding: encoding)) {
                item.reply(handler.encode(handler.failure(requestID: request.requestID, op: ServerOp(request.op),
                                                          .notReady("the server is shutting down")), encoding))
            }
        }
    }

    private func submitWrite(_ job: WriteJob) {
        if !writer.submit(job) {
            job.item.reply(core.handler.encode(core.handler.failure(requestID: job.request.requestID, op: .upsert,
                                                                    .notReady("the server is shutting down")), job.encoding))
        }
    }

    func itemFinished() {
        condition.lock()
        finishedItems += 1
        condition.broadcast()
        condition.unlock()
    }

    private func waitForItems(timeout: TimeInterval) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while finishedItems < items.count {
            if !condition.wait(until: deadline) { return finishedItems >= items.count }
        }
        return true
    }
}
