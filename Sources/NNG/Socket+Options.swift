import CNNG

extension Socket {
    /// Largest message the transports accept (`NNG_OPT_RECVMAXSZ`); a peer that sends a
    /// larger one is disconnected and the message is never delivered. 0 means no limit.
    /// Set before `listen`/`dial`.
    public func setReceiveMaxSize(_ bytes: Int) throws {
        precondition(bytes >= 0, "setReceiveMaxSize: negative size \(bytes)")
        try check(nng_socket_set_size(handle, NNG_OPT_RECVMAXSZ, bytes),
                  "\(protocolName) set \(NNG_OPT_RECVMAXSZ) \(bytes)")
    }

    /// How long a synchronous `receive` waits (`NNG_OPT_RECVTIMEO`); nil waits forever.
    public func setReceiveTimeout(_ timeout: Duration?) throws {
        try setMilliseconds(NNG_OPT_RECVTIMEO, nngTimeout(timeout))
    }

    /// How long a synchronous `receive` waits, in milliseconds; negative waits forever.
    public func setReceiveTimeout(milliseconds: Int) throws {
        try setMilliseconds(NNG_OPT_RECVTIMEO, nngTimeout(milliseconds: milliseconds))
    }

    /// How long a synchronous `send` waits (`NNG_OPT_SENDTIMEO`); nil waits forever.
    public func setSendTimeout(_ timeout: Duration?) throws {
        try setMilliseconds(NNG_OPT_SENDTIMEO, nngTimeout(timeout))
    }

    /// How long a synchronous `send` waits, in milliseconds; negative waits forever.
    public func setSendTimeout(milliseconds: Int) throws {
        try setMilliseconds(NNG_OPT_SENDTIMEO, nngTimeout(milliseconds: milliseconds))
    }

    /// REQ only: after this long without a reply the request is sent again
    /// (`NNG_OPT_REQ_RESENDTIME`, default one minute); nil never resends.
    public func setRequestResendTime(_ interval: Duration?) throws {
        try setMilliseconds(NNG_OPT_REQ_RESENDTIME, nngTimeout(interval))
    }

    private func setMilliseconds(_ option: String, _ value: nng_duration) throws {
        try check(nng_socket_set_ms(handle, option, value), "\(protocolName) set \(option) \(value) ms")
    }
}
