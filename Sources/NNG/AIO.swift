import CNNG
import Dispatch

/// An asynchronous I/O handle (`nng_aio`) with a Swift completion callback.
///
/// One operation at a time: start it with `Context.receive(aio:)`, `Context.send(_:aio:)`
/// or `sleep(for:)`; when it completes (or fails, times out, is canceled) the callback runs
/// on an NNG thread, where it reads `result`, takes the received message, and may start the
/// next operation. The callback must not block for long: hand real work to a worker pool.
///
/// Lifetime: NNG holds no reference to this object (its `void *` leads, through a small
/// retained slot, to a weak reference). The owner (e.g. a server's work item) must keep the
/// AIO alive and call `close()` when done; an AIO dropped while an operation is pending is
/// stopped and freed on a background queue and its callback is not called again.
///
/// Teardown: `stop()` cancels the pending operation and waits until no callback runs; after
/// it no operation starts (submissions return false). `close()` stops, frees any message
/// left in the AIO and frees the `nng_aio`. From inside the AIO's own callback, `stop()`
/// and `wait()` would wait for themselves (a precondition failure); `close()` is allowed
/// there and finishes on a background queue.
public final class AIO: @unchecked Sendable {
    enum State { case open, stopped, closing, closed }

    enum Operation: String {
        case none = "aio", receive = "ctx recv", send = "ctx send", sleep = "aio sleep"
    }

    /// What the C callback's argument points to: retained by the AIO until the `nng_aio`
    /// is freed, so NNG never sees a dangling pointer, even after the AIO object is gone.
    final class Slot {
        weak var aio: AIO?
    }

    private let pointer: OpaquePointer
    private let slot: Unmanaged<Slot>
    /// Guards the state below and every use of `pointer` except stop/wait; recursive in
    /// case NNG completes an operation inline on the submitting thread.
    private let lock = Lock(recursive: true)
    /// Serializes `nng_aio_stop`/`nng_aio_wait` with `nng_aio_free`.
    private let teardown = Lock()
    private var state = State.open
    private var operation = Operation.none
    private var callback: ((AIO) -> Void)?

    /// An AIO whose `callback` runs after each operation completes, on an NNG thread.
    /// Without a callback, wait for completion with `wait()`: NNG then completes the
    /// operation on whatever thread finishes it, waking the waiter directly (no hand-off to
    /// an NNG task thread), so a send that NNG completes at once costs no thread switch.
    public init(_ callback: ((AIO) -> Void)? = nil) throws {
        let slot = Slot()
        let retained = Unmanaged.passRetained(slot)
        var aio: OpaquePointer?
        let rv = callback == nil ? nng_aio_alloc(&aio, nil, nil) : nng_aio_alloc(&aio, aioCallback, retained.toOpaque())
        if rv != 0 {
            retained.release()
            throw NNGError(rawValue: rv, operation: "aio alloc")
        }
        pointer = aio!
        self.slot = retained
        self.callback = callback
        slot.aio = self
    }

    deinit {
        // No stop()/close() can be running: they hold a reference to self.
        switch state {
        case .closed, .closing:
            return
        case .stopped:
            // stop() returned: no callback runs or will run, so freeing cannot deadlock.
            AIO.free(pointer, slot)
        case .open:
            // Maybe inside this AIO's own callback, maybe with an operation pending:
            // stopping here could deadlock, so stop and free elsewhere. Callbacks that
            // still come find the slot's weak reference empty and do nothing.
            let orphan = Orphan(pointer: pointer, slot: slot)
            DispatchQueue.global().async {
                nng_aio_stop(orphan.pointer)
                AIO.free(orphan.pointer, orphan.slot)
            }
        }
    }

    /// An `nng_aio` whose Swift object is gone, on its way to a background stop and free.
    private struct Orphan: @unchecked Sendable {
        let pointer: OpaquePointer
        let slot: Unmanaged<Slot>
    }

    private static func free(_ pointer: OpaquePointer, _ slot: Unmanaged<Slot>) {
        if let msg = nng_aio_get_msg(pointer) {
            nng_aio_set_msg(pointer, nil)
            nng_msg_free(msg)
        }
        nng_aio_free(pointer)
        slot.release()
    }

    /// The outcome of the last operation: nil on success.
    public var result: NNGError? {
        lock.withLock {
            guard state != .closed else { return NNGError(.closed, operation: operation.rawValue) }
            let rv = nng_aio_result(pointer)
            return rv == 0 ? nil : NNGError(rawValue: rv, operation: operation.rawValue)
        }
    }

    /// Bytes the last operation moved (`nng_aio_count`): for a send, the message length once
    /// NNG accepted it; 0 while the operation is pending (or when it failed).
    public var count: Int {
        lock.withLock { state == .closed ? 0 : nng_aio_count(pointer) }
    }

    /// Takes the message a receive delivered (or a failed send left behind); nil if none.
    public func takeMessage() -> Message? {
        takeHandle().map { Message(adopting: $0) }
    }

    /// Moves the message a receive delivered into `message` (replacing what it held) and
    /// returns true; returns false and leaves `message` alone if the AIO holds none.
    @discardableResult
    public func takeMessage(into message: Message) -> Bool {
        guard let msg = takeHandle() else { return false }
        message.adopt(msg)
        return true
    }

    private func takeHandle() -> OpaquePointer? {
        lock.withLock {
            guard state != .closed, let msg = nng_aio_get_msg(pointer) else { return nil }
            nng_aio_set_msg(pointer, nil)
            return msg
        }
    }

    /// Timeout for each following operation (`nng_aio_set_timeout`); nil means none.
    /// A timed-out operation completes with `.timedOut`.
    public func setTimeout(_ timeout: Duration?) {
        setTimeout(nngTimeout(timeout))
    }

    /// Timeout in milliseconds for each following operation; negative means none.
    public func setTimeout(milliseconds: Int) {
        setTimeout(nngTimeout(milliseconds: milliseconds))
    }

    private func setTimeout(_ value: nng_duration) {
        lock.withLock {
            if state != .closed { nng_aio_set_timeout(pointer, value) }
        }
    }

    /// Completes after `duration` with success (`nng_sleep_aio`): a timer for the state
    /// machine (e.g. back off after an error). Returns false if the AIO is stopped.
    @discardableResult
    public func sleep(for duration: Duration) -> Bool {
        submit(.sleep) { nng_sleep_aio(duration.nngMilliseconds, $0) }
    }

    /// Asks the pending operation to finish early with `.canceled`; does not wait.
    public func cancel() {
        lock.withLock {
            if state != .closed { nng_aio_cancel(pointer) }
        }
    }

    /// Waits until the pending operation (if any) and its callback have finished.
    /// Must not be called from this AIO's callback.
    public func wait() {
        precondition(!isInOwnCallback, "AIO.wait() called from its own callback: it would wait for itself")
        teardown.withLock {
            guard lock.withLock({ state != .closed }) else { return }
            nng_aio_wait(pointer)
            if callback == nil { lock.withLock { forgetSentMessage() } }
        }
    }

    /// A successful send handed the message to NNG: make sure it is never freed here.
    private func forgetSentMessage() {
        if operation == .send, state != .closed, nng_aio_result(pointer) == 0 {
            nng_aio_set_msg(pointer, nil)
        }
    }

    /// Cancels the pending operation (its callback runs with `.canceled`), waits until no
    /// callback runs, and refuses further operations. Must not be called from this AIO's
    /// callback (it would wait for itself). Idempotent.
    public func stop() {
        precondition(!isInOwnCallback, "AIO.stop() called from its own callback: it would wait for itself")
        teardown.withLock {
            let proceed = lock.withLock { () -> Bool in
                if state == .open { state = .stopped }
                return state != .closed
            }
            if proceed { nng_aio_stop(pointer) }
        }
    }

    /// Stops the AIO, frees any message left in it and frees the `nng_aio`. Idempotent.
    /// From inside this AIO's own callback it returns at once and finishes on a background
    /// queue (no further operation starts meanwhile).
    public func close() {
        if isInOwnCallback {
            let schedule = lock.withLock { () -> Bool in
                guard state == .open || state == .stopped else { return false }
                state = .closing
                return true
            }
            if schedule { DispatchQueue.global().async { self.finishClose() } }
            return
        }
        finishClose()
    }

    private func finishClose() {
        teardown.withLock {
            let proceed = lock.withLock { () -> Bool in
                if state == .open { state = .stopped }
                return state != .closed
            }
            guard proceed else { return }
            nng_aio_stop(pointer)
            let released = lock.withLock { () -> ((AIO) -> Void)? in
                state = .closed
                defer { callback = nil }
                return callback
            }
            AIO.free(pointer, slot)
            _ = released  // the callback (and what it captured) is released here, unlocked
        }
    }

    /// Starts an operation unless the AIO is stopped or closed. `start` runs under the lock,
    /// so `close()` cannot free the `nng_aio` meanwhile; a message left from the last
    /// operation is freed first.
    func submit(_ op: Operation, _ start: (OpaquePointer) -> Void) -> Bool {
        lock.withLock {
            guard state == .open else { return false }
            if callback == nil { forgetSentMessage() }  // a send completed without a callback
            operation = op
            if let old = nng_aio_get_msg(pointer) {
                nng_aio_set_msg(pointer, nil)
                nng_msg_free(old)
            }
            start(pointer)
            return true
        }
    }

    /// Runs on an NNG thread when an operation completes.
    fileprivate func complete() {
        let callback = lock.withLock { () -> ((AIO) -> Void)? in
            forgetSentMessage()
            return self.callback
        }
        let previous = CallbackThread.current
        CallbackThread.current = Unmanaged.passUnretained(self).toOpaque()
        defer { CallbackThread.current = previous }
        callback?(self)
    }

    private var isInOwnCallback: Bool {
        CallbackThread.current == Unmanaged.passUnretained(self).toOpaque()
    }
}

/// The C completion callback: its argument is the AIO's retained `Slot`.
private func aioCallback(_ argument: UnsafeMutableRawPointer?) {
    guard let argument else { return }
    let slot = Unmanaged<AIO.Slot>.fromOpaque(argument).takeUnretainedValue()
    slot.aio?.complete()
}
