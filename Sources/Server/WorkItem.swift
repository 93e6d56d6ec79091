import Foundation
import NNG
import Wire

/// One request in flight: an NNG context, its AIO and message, driven by one state machine
/// as in nng's demo/async/server.c:
///
///     RECEIVING --(request)--> WORKING (on a worker thread) --(reply)--> SENDING --> RECEIVING
///
/// The AIO callback (an NNG thread) only moves between states and queues work; decoding,
/// searching and encoding run on the worker pool (queries) or the writer (upsert, delete).
/// A lock orders the callback, the worker's reply and shutdown: shutdown cancels an item only
/// while it is receiving, so a reply being sent is never cancelled.
final class WorkItem: @unchecked Sendable {
    enum State { case idle, receiving, working, sending, finished }

    let context: Context
    private(set) var aio: AIO!
    /// The request, then (rewritten in place) the reply.
    let message = Message()
    private(set) var state = State.idle
    /// When the request arrived (`RequestHandler.now()`).
    private(set) var receivedAt: UInt64 = 0
    /// Recursive: NNG may complete an operation inline on the thread that submitted it.
    private let lock = NSRecursiveLock()
    private unowned let server: AnnServer

    init(server: AnnServer, socket: Socket) throws {
        self.server = server
        context = try Context(socket: socket)
        aio = try AIO { [weak self] _ in self?.step() }
    }

    func start() {
        lock.lock()
        defer { lock.unlock() }
        state = .receiving
        if !context.receive(aio: aio) { finish() }
    }

    /// The AIO callback: one transition of the state machine.
    private func step() {
        lock.lock()
        defer { lock.unlock() }
        switch state {
        case .receiving:
            if let error = aio.result {
                if error.code == .closed || server.core.isStopping { finish(); return }
                // A failed receive (a peer gone, a timeout): keep serving.
                if !context.receive(aio: aio) { finish() }
                return
            }
            aio.takeMessage(into: message)
            receivedAt = RequestHandler.now()
            state = .working
            if !server.submit(self) { finish() }
        case .sending:
            if aio.result != nil {
                aio.takeMessage(into: message)  // not sent (peer gone): drop it
                message.clear()
            }
            if server.core.isStopping { finish(); return }
            state = .receiving
            if !context.receive(aio: aio) { finish() }
        case .idle, .working, .finished:
            break
        }
    }

    /// From the WORK step: sends `bytes` as the reply, reusing the request's message.
    func reply(_ bytes: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        message.clear()
        do {
            try message.append(bytes)
        } catch {
            server.core.logger.error("reply of \(bytes.count) bytes not sent: \(error)")
            message.clear()
        }
        state = .sending
        if !context.send(message, aio: aio) { finish() }
    }

    /// Shutdown: a pending receive is cancelled (its callback then finishes the item); an
    /// item working or sending finishes after its reply.
    func stopReceiving() {
        lock.lock()
        defer { lock.unlock() }
        if state == .receiving { aio.cancel() }
        if state == .idle { finish() }
    }

    private func finish() {
        guard state != .finished else { return }
        state = .finished
        server.itemFinished()
    }

    /// After the item finished: frees the AIO and closes the context.
    func close() {
        aio.close()
        context.close()
    }
}
