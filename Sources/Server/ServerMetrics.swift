import Foundation
import Wire

/// The operations the server counts (a message that names none, or cannot be read, is
/// `invalid`).
public enum ServerOp: Int, CaseIterable, Sendable {
    case search, recommend, similar, batch, upsert, delete, stats, health, invalid

    public var name: String {
        switch self {
        case .search: return "search"
        case .recommend: return "recommend"
        case .similar: return "similar"
        case .batch: return "batch"
        case .upsert: return "upsert"
        case .delete: return "delete"
        case .stats: return "stats"
        case .health: return "health"
        case .invalid: return "invalid"
        }
    }

    init(_ op: Ann_V1_Request.OneOf_Op?) {
        switch op {
        case .search: self = .search
        case .recommend: self = .recommend
        case .similar: self = .similar
        case .batch: self = .batch
        case .upsert: self = .upsert
        case .delete: self = .delete
        case .stats: self = .stats
        case .health: self = .health
        case nil: self = .invalid
        }
    }
}

/// Requests and latencies by op and status, kept by one thread (a worker or the writer)
/// and read by `stats`. Its lock is taken by its owner once per request and by `stats`:
/// practically never contended.
final class ServerMetrics: @unchecked Sendable {
    static let statuses: [Ann_V1_ErrorCode] = [.ok, .badRequest, .unknownID, .dimensionMismatch, .limitExceeded, .notReady, .internal]

    private let lock = NSLock()
    private var histograms: [LatencyHistogram?]

    init() {
        histograms = Array(repeating: nil, count: ServerOp.allCases.count * Self.statuses.count)
    }

    private static func slot(_ op: ServerOp, _ code: Ann_V1_ErrorCode) -> Int {
        let status = min(max(code.rawValue, 0), statuses.count - 1)
        return op.rawValue * statuses.count + status
    }

    func record(_ op: ServerOp, _ code: Ann_V1_ErrorCode, seconds: Double) {
        let slot = Self.slot(op, code)
        lock.lock()
        if histograms[slot] == nil { histograms[slot] = LatencyHistogram() }
        histograms[slot]!.record(seconds: seconds)
        lock.unlock()
    }

    /// Adds this thread's figures into `total`.
    func merge(into total: inout [Int: LatencyHistogram]) {
        lock.lock()
        defer { lock.unlock() }
        for (slot, h) in histograms.enumerated() {
            guard let h else { continue }
            total[slot, default: LatencyHistogram()].merge(h)
        }
    }

    /// Per (op, status) figures of several threads, in op then status order.
    static func summary(of all: [ServerMetrics]) -> [Ann_V1_OpStats] {
        var total: [Int: LatencyHistogram] = [:]
        for m in all { m.merge(into: &total) }
        return total.keys.sorted().map { slot in
            let h = total[slot]!
            var s = Ann_V1_OpStats()
            s.op = ServerOp.allCases[slot / statuses.count].name
            s.status = statuses[slot % statuses.count].name
            s.count = h.count
            s.sumSeconds = h.sumSeconds
            s.p50Ms = h.quantile(0.5) * 1000
            s.p95Ms = h.quantile(0.95) * 1000
            s.p99Ms = h.quantile(0.99) * 1000
            s.p999Ms = h.quantile(0.999) * 1000
            s.maxMs = h.maxSeconds * 1000
            s.buckets = h.trimmedBuckets
            return s
        }
    }
}
