import CNNG

extension Duration {
    /// This duration as an `nng_duration` in milliseconds: rounded up (a positive duration
    /// never becomes zero, which would mean "poll"), negative as zero, clamped to `Int32.max`.
    @usableFromInline
    var nngMilliseconds: nng_duration {
        let (seconds, attoseconds) = components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let attoPerMilli: Int64 = 1_000_000_000_000_000
        let (wholeMillis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return .max }
        let millis = wholeMillis + (attoseconds + attoPerMilli - 1) / attoPerMilli
        return millis >= Int64(Int32.max) ? .max : nng_duration(millis)
    }
}

/// `nil` means "no timeout" (`NNG_DURATION_INFINITE`).
@usableFromInline
func nngTimeout(_ timeout: Duration?) -> nng_duration {
    timeout?.nngMilliseconds ?? nng_duration(NNG_DURATION_INFINITE)
}

/// Negative milliseconds mean "no timeout" (`NNG_DURATION_INFINITE`).
@usableFromInline
func nngTimeout(milliseconds: Int) -> nng_duration {
    milliseconds < 0 ? nng_duration(NNG_DURATION_INFINITE) : nng_duration(clamping: milliseconds)
}

/// Blocks the calling thread for `duration` (`nng_msleep`); for tests and tools, not for
/// NNG callbacks (use `AIO.sleep(for:)` there).
public func nngSleep(for duration: Duration) {
    nng_msleep(duration.nngMilliseconds)
}
