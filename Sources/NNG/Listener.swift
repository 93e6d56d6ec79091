import CNNG

/// A started listening endpoint of a `Socket` (`nng_listener`). It lives as long as its
/// socket unless closed; dropping this value does not close it.
public struct Listener: Sendable {
    let handle: nng_listener
    /// The URL it was created with (port 0 stays 0 here: see `boundPort()`).
    public let url: String

    /// The TCP port actually bound (`NNG_OPT_TCP_BOUND_PORT`), e.g. after listening on
    /// `tcp://127.0.0.1:0`. Fails with `.notSupported` for other transports.
    public func boundPort() throws -> Int {
        var port: Int32 = 0
        try check(nng_listener_get_int(handle, NNG_OPT_TCP_BOUND_PORT, &port), "bound port of \(url)")
        return Int(port)
    }

    /// Stops listening; established connections are closed too.
    public func close() throws {
        try check(nng_listener_close(handle), "close listener \(url)")
    }
}
