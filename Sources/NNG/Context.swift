import CNNG

/// A protocol context on a socket (`nng_ctx`): its own request-reply state, so a REP server
/// can serve many requests at once, each on its own context and `AIO`.
///
/// Operations complete through the AIO's callback; a submission returns false only when the
/// AIO is stopped or closed (then nothing was started and no callback follows).
/// Closing the socket or the context finishes a pending operation with `.closed`.
public final class Context: @unchecked Sendable {
    @usableFromInline
    let handle: nng_ctx
    /// The socket this context belongs to (kept alive by the context).
    public let socket: Socket
    private let lock = Lock()
    private var isClosed = false

    /// Opens a context on `socket` (`nng_ctx_open`).
    public init(socket: Socket) throws {
        var ctx = nng_ctx()
        try check(nng_ctx_open(&ctx, socket.handle), "\(socket.protocolName) ctx open")
        handle = ctx
        self.socket = socket
    }

    deinit {
        close()
    }

    /// NNG's positive id for this context.
    public var id: Int { Int(nng_ctx_id(handle)) }

    /// Starts receiving a message (REP: a request); on success take it with
    /// `aio.takeMessage(into:)`.
    @discardableResult
    public func receive(aio: AIO) -> Bool {
        aio.submit(.receive) { nng_ctx_recv(handle, $0) }
    }

    /// Starts sending `message` (REP: the reply to this context's last request). The
    /// message's `nng_msg` moves into the AIO and `message` is left empty: on success NNG
    /// owns it; on failure get it back with `aio.takeMessage(into:)` (or it is freed when
    /// the AIO starts its next operation or closes). If the AIO is stopped, `message` keeps
    /// its bytes and false is returned.
    @discardableResult
    public func send(_ message: Message, aio: AIO) -> Bool {
        aio.submit(.send) { aioPointer in
            guard let msg = try? message.release() else {
                // Allocating an empty message failed: report it through the callback.
                if nng_aio_begin(aioPointer) { nng_aio_finish(aioPointer, Int32(NNG_ENOMEM.rawValue)) }
                return
            }
            nng_aio_set_msg(aioPointer, msg)
            nng_ctx_send(handle, aioPointer)
        }
    }

    /// Closes the context; a pending operation finishes with `.closed`. Idempotent; also
    /// done by `deinit`. Closing the socket closes its contexts too.
    public func close() {
        let first = lock.withLock { () -> Bool in
            defer { isClosed = true }
            return !isClosed
        }
        if first { nng_ctx_close(handle) }  // .closed if the socket closed it already
    }
}
