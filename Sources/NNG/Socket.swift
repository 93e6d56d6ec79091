import CNNG

/// An NNG socket (`nng_socket`): REP for servers, REQ for clients. Thread-safe, as NNG
/// sockets are. Closed by `close()` or, at the latest, in `deinit`.
///
/// Synchronous `send`/`receive` block the calling thread (bounded by the socket timeouts);
/// servers use `Context` with an `AIO` instead.
public final class Socket: @unchecked Sendable {
    @usableFromInline
    let handle: nng_socket
    /// The protocol name, for error messages.
    public let protocolName: String
    private let lock = Lock()
    private var isClosed = false

    private init(protocolName: String, open: (UnsafeMutablePointer<nng_socket>) -> Int32) throws {
        var socket = nng_socket()
        try check(open(&socket), "open \(protocolName) socket")
        handle = socket
        self.protocolName = protocolName
    }

    /// A REP (reply) socket: the server side of request-reply (`nng_rep0_open`).
    public static func replier() throws -> Socket {
        try Socket(protocolName: "rep0") { nng_rep0_open($0) }
    }

    /// A REQ (request) socket: the client side of request-reply (`nng_req0_open`).
    public static func requester() throws -> Socket {
        try Socket(protocolName: "req0") { nng_req0_open($0) }
    }

    deinit {
        close()
    }

    /// NNG's positive id for this socket.
    public var id: Int { Int(nng_socket_id(handle)) }

    /// Starts listening on `url` (`tcp://host:port`, `ipc:///path`, `inproc://name`).
    /// With `tcp://127.0.0.1:0` the system picks a port: read it from `Listener.boundPort()`.
    /// Set `setReceiveMaxSize` before listening so that new connections use it.
    @discardableResult
    public func listen(_ url: String) throws -> Listener {
        var listener = nng_listener()
        try check(nng_listener_create(&listener, handle, url), "listen \(url)")
        let rv = nng_listener_start(listener, 0)
        if rv != 0 {
            nng_listener_close(listener)
            throw NNGError(rawValue: rv, operation: "listen \(url)")
        }
        return Listener(handle: listener, url: url)
    }

    /// Connects to `url`. Blocking (the default) fails at once if the first attempt fails
    /// (e.g. `.connectionRefused`); `nonBlocking` returns at once and keeps retrying in the
    /// background. Either way NNG reconnects after a dropped connection.
    public func dial(_ url: String, nonBlocking: Bool = false) throws {
        let flags: Int32 = nonBlocking ? Int32(NNG_FLAG_NONBLOCK) : 0
        try check(nng_dial(handle, url, nil, flags), "dial \(url)")
    }

    /// Sends a copy of `bytes` as one message (REQ: a request; REP: the reply to the last
    /// request received).
    public func send(_ bytes: some Collection<UInt8>) throws {
        let rv: Int32? = bytes.withContiguousStorageIfAvailable { send(UnsafeRawBufferPointer($0)) }
        if let rv {
            try check(rv, "\(protocolName) send")
        } else {
            try check([UInt8](bytes).withUnsafeBytes { send($0) }, "\(protocolName) send")
        }
    }

    private func send(_ buffer: UnsafeRawBufferPointer) -> Int32 {
        var empty: UInt8 = 0
        guard let base = buffer.baseAddress, buffer.count > 0 else {
            return nng_send(handle, &empty, 0, 0)
        }
        return nng_send(handle, UnsafeMutableRawPointer(mutating: base), buffer.count, 0)
    }

    /// Sends `message` without copying. On success NNG owns its `nng_msg` and `message` is
    /// left empty (reusable); on failure `message` keeps its bytes.
    public func send(_ message: Message) throws {
        let msg = try message.release()
        let rv = nng_sendmsg(handle, msg, 0)
        if rv != 0 {
            message.adopt(msg)
            throw NNGError(rawValue: rv, operation: "\(protocolName) send")
        }
    }

    /// Receives one message, blocking up to the receive timeout.
    public func receive() throws -> Message {
        var msg: OpaquePointer?
        try check(nng_recvmsg(handle, &msg, 0), "\(protocolName) recv")
        return Message(adopting: msg!)
    }

    /// Receives one message into `message`, replacing what it held.
    public func receive(into message: Message) throws {
        var msg: OpaquePointer?
        try check(nng_recvmsg(handle, &msg, 0), "\(protocolName) recv")
        message.adopt(msg!)
    }

    /// Receives one message and returns a copy of its body.
    public func receiveBytes() throws -> [UInt8] {
        try receive().bytes
    }

    /// Closes the socket: blocked and pending operations (including those of its contexts)
    /// finish with `.closed`. Idempotent; also done by `deinit`.
    public func close() {
        let first = lock.withLock { () -> Bool in
            defer { isClosed = true }
            return !isClosed
        }
        if first { nng_close(handle) }
    }
}
