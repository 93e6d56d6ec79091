import Foundation
import NNG

/// A REP server in the shape of nng's demo/async/server.c: a fixed pool of work items, each
/// with its own context, AIO and message, driven by one callback state machine
/// RECV -> WORK (on a worker queue, off NNG's threads) -> SEND -> RECV.
/// The work: reply with the request's bytes reversed.
final class ReverseServer: @unchecked Sendable {
    final class WorkItem: @unchecked Sendable {
        enum State { case receiving, working, sending }

        let context: Context
        var aio: AIO!
        let message = Message()
        var state = State.receiving
        unowned let server: ReverseServer

        init(server: ReverseServer) throws {
            self.server = server
            context = try Context(socket: server.socket)
            aio = try AIO { [weak self] _ in self?.step() }
        }

        /// The callback: one step of the state machine.
        func step() {
            switch state {
            case .receiving:
                if let error = aio.result {
                    if error.code == .closed { server.record(closedItem: ()) ; return }
                    context.receive(aio: aio)  // e.g. a timeout: keep serving
                    return
                }
                aio.takeMessage(into: message)
                state = .working
                server.runWork { self.work() }
            case .working:
                preconditionFailure("callback while working")
            case .sending:
                if aio.result != nil {
                    aio.takeMessage(into: message)  // the reply was not sent: drop it
                }
                server.record(served: ())
                state = .receiving
                context.receive(aio: aio)
            }
        }

        func work() {
            server.enterWork()
            message.withMutableBody { body in var body = body; body.reverse() }
            server.leaveWork()
            state = .sending
            context.send(message, aio: aio)
        }
    }

    let socket: Socket
    private(set) var items: [WorkItem] = []
    private let condition = NSCondition()
    private var served = 0
    private var closedItems = 0
    private var inWork = 0
    /// The most requests that were in WORK at the same time.
    private(set) var maxInWork = 0
    private let holdUntilInWork: Int

    /// `holdUntilInWork`: the work step waits (up to 5 s) until this many requests were in
    /// WORK at once, which proves that the contexts serve concurrently.
    init(socket: Socket, workItems: Int, holdUntilInWork: Int = 0) throws {
        self.socket = socket
        self.holdUntilInWork = holdUntilInWork
        items = try (0..<workItems).map { _ in try WorkItem(server: self) }
    }

    /// WORK runs off NNG's callback threads: here on a fresh thread per request (a real
    /// server uses a fixed worker pool; threads keep this test independent of GCD's pacing
    /// when the work step blocks).
    fileprivate func runWork(_ work: @escaping @Sendable () -> Void) {
        Thread(block: work).start()
    }

    func start() {
        for item in items { item.context.receive(aio: item.aio) }
    }

    /// Closes the socket (pending receives finish with `.closed`), waits for every work
    /// item to see that, then closes the AIOs and contexts.
    func shutdown(timeout: TimeInterval = 5) -> Bool {
        socket.close()
        let allClosed = waitFor(timeout: timeout) { closedItems == items.count }
        for item in items {
            item.aio.close()
            item.context.close()
        }
        return allClosed
    }

    var servedCount: Int { condition.withLock { served } }

    /// Waits until `count` replies were sent (a client may read its reply before the
    /// server's send callback has run).
    func waitUntilServed(_ count: Int, timeout: TimeInterval = 5) -> Bool {
        waitFor(timeout: timeout) { served >= count }
    }

    fileprivate func record(served _: Void) {
        condition.withLock { served += 1; condition.broadcast() }
    }

    fileprivate func record(closedItem _: Void) {
        condition.withLock { closedItems += 1; condition.broadcast() }
    }

    fileprivate func enterWork() {
        condition.withLock {
            inWork += 1
            maxInWork = max(maxInWork, inWork)
            condition.broadcast()
        }
        _ = waitFor(timeout: 5) { maxInWork >= holdUntilInWork }
    }

    fileprivate func leaveWork() {
        condition.withLock { inWork -= 1 }
    }

    private func waitFor(timeout: TimeInterval, _ done: () -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !done() {
            if !condition.wait(until: deadline) { return done() }
        }
        return true
    }
}
