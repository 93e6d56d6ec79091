import CNNG

/// An owned `nng_msg`: a byte body that NNG can send without copying.
///
/// Ownership rules:
/// - A `Message` holds at most one `nng_msg` and frees it in `deinit`.
/// - Sending moves the `nng_msg` to NNG only on success: after a successful `Socket.send(_:)`
///   the message is empty again (and reusable); after a failed one it still holds its bytes.
///   `Context.send(_:aio:)` moves it into the AIO; on failure take it back with
///   `AIO.takeMessage(into:)`.
/// - An empty `Message` owns nothing; the first `append`/`resize`/`reserve` allocates.
///   So one `Message` object can be reused for every request a work item handles.
/// - Not thread-safe: one thread at a time may use a message.
public final class Message {
    /// The owned `nng_msg *`, or nil when this message owns nothing.
    @usableFromInline
    internal var handle: OpaquePointer?

    /// An empty message that owns no `nng_msg` yet.
    public init() {}

    /// An empty message with room for `capacity` body bytes.
    public convenience init(capacity: Int) throws {
        self.init()
        try reserve(capacity)
    }

    /// A message whose body is `bytes`.
    public convenience init(bytes: some Collection<UInt8>) throws {
        self.init()
        try reserve(bytes.count)
        try append(bytes)
    }

    /// Adopts an `nng_msg` that the caller owned.
    init(adopting msg: OpaquePointer) {
        handle = msg
    }

    deinit {
        if let handle { nng_msg_free(handle) }
    }

    /// Number of body bytes.
    @inlinable
    public var count: Int {
        guard let handle else { return 0 }
        return nng_msg_len(handle)
    }

    @inlinable
    public var isEmpty: Bool { count == 0 }

    /// Bytes the body can hold before NNG reallocates.
    public var capacity: Int {
        guard let handle else { return 0 }
        return nng_msg_capacity(handle)
    }

    /// A copy of the body.
    public var bytes: [UInt8] {
        withBody { [UInt8]($0) }
    }

    /// Reads the body; the buffer is valid only inside `body`.
    @inlinable
    public func withBody<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard let handle, nng_msg_len(handle) > 0 else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeRawBufferPointer(start: nng_msg_body(handle), count: nng_msg_len(handle)))
    }

    /// Writes the body in place (use `resize(to:)` first to set its length); the buffer is
    /// valid only inside `body`.
    @inlinable
    public func withMutableBody<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        guard let handle, nng_msg_len(handle) > 0 else {
            return try body(UnsafeMutableRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeMutableRawBufferPointer(start: nng_msg_body(handle), count: nng_msg_len(handle)))
    }

    /// Appends bytes to the body.
    @inlinable
    public func append(_ bytes: some Collection<UInt8>) throws {
        if bytes.isEmpty { return }
        let done: Void? = try bytes.withContiguousStorageIfAvailable { buffer in
            try append(UnsafeRawBufferPointer(buffer))
        }
        if done == nil {
            try [UInt8](bytes).withUnsafeBytes { try append($0) }
        }
    }

    /// Appends the bytes of `buffer` to the body.
    @inlinable
    public func append(_ buffer: UnsafeRawBufferPointer) throws {
        let msg = try ensureAllocated()
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        try check(nng_msg_append(msg, base, buffer.count), "message append \(buffer.count) bytes")
    }

    /// Sets the body length to `count` bytes, keeping the first bytes; new bytes are undefined.
    public func resize(to count: Int) throws {
        precondition(count >= 0, "Message.resize: negative count \(count)")
        let msg = try ensureAllocated()
        try check(nng_msg_realloc(msg, count), "message resize to \(count) bytes")
    }

    /// Makes room for `capacity` body bytes without changing the body.
    public func reserve(_ capacity: Int) throws {
        precondition(capacity >= 0, "Message.reserve: negative capacity \(capacity)")
        let msg = try ensureAllocated()
        try check(nng_msg_reserve(msg, capacity), "message reserve \(capacity) bytes")
    }

    /// Empties the body and header, keeping the allocation for reuse.
    public func clear() {
        guard let handle else { return }
        nng_msg_clear(handle)
        nng_msg_header_clear(handle)
    }

    /// The owned `nng_msg`, allocating an empty one if this message owns none.
    @usableFromInline
    @discardableResult
    func ensureAllocated() throws -> OpaquePointer {
        if let handle { return handle }
        var msg: OpaquePointer?
        try check(nng_msg_alloc(&msg, 0), "message alloc")
        handle = msg
        return msg!
    }

    /// Gives up ownership of the `nng_msg` (allocating an empty one if needed).
    func release() throws -> OpaquePointer {
        let msg = try ensureAllocated()
        handle = nil
        return msg
    }

    /// Takes ownership of `msg`, freeing whatever this message owned before.
    func adopt(_ msg: OpaquePointer) {
        if let handle { nng_msg_free(handle) }
        handle = msg
    }
}
