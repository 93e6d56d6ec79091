import Foundation
import NNG
import Wire

/// One request in flight: an NNG context, its AIO and message, driven by one state machine
/// as in nng's demo/async/server.c:
///
///     RECEIVING --(request)--> WORKING --(reply)--> SENDING --(sent)--> RECEIVING
///
/// The WORK step starts on the AIO callback's thread (an NNG task thread, which just read
/// the request): it decodes the request and asks `RequestHandler.route` where it runs. Short
/// reads of bounded cost (search within the inline limits, stats, health) and error replies
/// are answered right there, so a search costs no thread switch beyond NNG's own; queries
/// whose cost the client controls go to the worker pool, writes to the writer, so NNG's
/// threads are never held for long. Why: on a small machine every thread wake-up costs tens
/// of microseconds, and NNG already spends four per request (bench/RESULTS.md, "Server
/// transport"); a hand-off to a worker and a send-completion callback were two more.
/// A lock orders the callback, the reply and shutdown: shutdown cancels an item only
/// while it is receiving, so a reply being sent is never cancelled.
final class WorkItem: @unchecked Sendable {
    enum State { case idle, receiving, working, sending, finished }

    let context: Context
    /// Receives requests; its callback drives the state machine.
    private(set) var aio: AIO!
    /// Sends replies (no callback: see `reply`).
    private let sendAIO: AIO
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
        sendAIO = try AIO()
        sendAIO.setTimeout(.seconds(10))
        aio = try AIO { [weak self] _ in self?.step() }
    }

    func start() {
        lock.lock()
        defer { lock.unlock() }
        state = .receiving
        if !context.receive(aio: aio) { finish() }
    }

    /// The AIO callback: one transition of the state machine. The WORK step runs after the
    /// lock is released (the item is `working`: nothing else touches it until `reply`).
    private func step() {
        if advance() { server.work(self) }
    }

    /// Moves the state machine under the lock; true when a request arrived and WORK begins.
    private func advance() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        switch state {
        case .receiving:
            if let error = aio.result {
                if error.code == .closed || server.core.isStopping { finish(); return false }
                // A failed receive (a peer gone, a timeout): keep serving.
                if !context.receive(aio: aio) { finish() }
                return false
            }
            aio.takeMessage(into: message)
            receivedAt = RequestHandler.now()
            state = .working
            return true
        case .idle, .working, .sending, .finished:
            return false
        }
    }

    /// From the WORK step: sends `bytes` as the reply, reusing the request's message, then
    /// receives the next request.
    ///
    /// The send uses an AIO without a callback: NNG completes a REP send at once when the
    /// connection is idle (the usual case), and then this thread goes straight back to
    /// receiving, with no completion callback dispatched to another NNG thread. When the
    /// connection is still writing an earlier reply (a client with several requests in
    /// flight on one connection), the send completes later; this thread (maybe NNG's) must
    /// not wait for that, so a background queue does.
    func reply(_ bytes: [UInt8]) {
        lock.lock()
        message.clear()
        do {
            try message.append(bytes)
        } catch {
            server.core.logger.error("reply of \(bytes.count) bytes not sent: \(error)")
            message.clear()
        }
        let length = message.count
        state = .sending
        let started = context.send(message, aio: sendAIO)
        if !started { finish() }
        lock.unlock()
        guard started else { return }
        if length > 0 && sendAIO.count == length {
            sent()
        } else {
            DispatchQueue.global().async { self.sent() }
        }
    }

    /// After a send: back to receiving (or finished when the server is stopping).
    private func sent() {
        sendAIO.wait()
        lock.lock()
        defer { lock.unlock() }
        if sendAIO.result != nil {
            sendAIO.takeMessage(into: message)  // not sent (peer gone): drop it
            message.clear()
        }
        if server.core.isStopping { finish(); return }
        state = .receiving
        if !context.receive(aio: aio) { finish() }
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
        sendAIO.close()
        context.close()
    }
}
