#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress display on stderr: percent of bytes, rows, rows per second and ETA.
///
/// It draws only when stderr is a terminal, at most about ten times a second; otherwise it
/// writes nothing at all. `finish()` clears the line.
public final class ProgressBar {
    public let label: String
    public let totalBytes: Int64

    private let isTerminal: Bool
    private let write: (String) -> Void
    private let now: () -> Double
    private let started: Double
    private var lastDraw = -Double.infinity
    private var drewSomething = false
    static let interval = 0.1

    /// A bar for a job of `totalBytes` bytes (0 if unknown: no percent and no ETA).
    public convenience init(label: String, totalBytes: Int64) {
        self.init(label: label, totalBytes: totalBytes, isTerminal: isatty(2) == 1,
                  write: { text in
                      var text = text
                      text.withUTF8 { bytes in _ = writeToFileDescriptor(2, bytes.baseAddress, bytes.count) }
                  },
                  now: ProgressBar.monotonicSeconds)
    }

    /// For tests: a chosen terminal flag, output and clock.
    init(label: String, totalBytes: Int64, isTerminal: Bool, write: @escaping (String) -> Void, now: @escaping () -> Double) {
        self.label = label
        self.totalBytes = totalBytes
        self.isTerminal = isTerminal
        self.write = write
        self.now = now
        started = now()
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Reports progress: bytes consumed and rows done so far (totals, not increments).
    public func update(bytes: Int64, rows: Int) {
        guard isTerminal else { return }
        let t = now()
        if t - lastDraw < ProgressBar.interval { return }
        lastDraw = t
        drewSomething = true
        write("\r\u{1B}[K" + ProgressBar.render(label: label, bytes: bytes, totalBytes: totalBytes, rows: rows,
                                               elapsed: t - started))
    }

    /// Clears the line (if anything was drawn).
    public func finish() {
        guard isTerminal, drewSomething else { return }
        drewSomething = false
        write("\r\u{1B}[K")
    }

    /// The text of one frame, e.g. `import items  42.0%  1,200,000 rows  350,000 rows/s  ETA 0:05`.
    static func render(label: String, bytes: Int64, totalBytes: Int64, rows: Int, elapsed: Double) -> String {
        var parts = [label]
        let fraction = totalBytes > 0 ? min(1, Double(bytes) / Double(totalBytes)) : nil
        if let fraction {
            let tenths = Int((fraction * 1000).rounded(.down))
            parts.append("\(tenths / 10).\(tenths % 10)%")
        }
        parts.append("\(grouped(rows)) rows")
        if elapsed > 0 {
            parts.append("\(grouped(Int(Double(rows) / elapsed))) rows/s")
            if let fraction, fraction > 0 {
                let remaining = elapsed * (1 - fraction) / fraction
                parts.append("ETA \(clock(remaining))")
            }
        }
        return parts.joined(separator: "  ")
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (k, c) in digits.enumerated() {
            if k > 0 && (digits.count - k) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        if s >= 3600 { return "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))" }
        return "\(s / 60):\(two(s % 60))"
    }
}

@inline(__always)
private func writeToFileDescriptor(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, bytes, count)
}
