import Foundation
import Wire

/// A stats reply as Prometheus text (exposition format 0.0.4): counters and latency
/// histograms by op and status, quantile gauges, and the store's counts.
public enum PrometheusFormat {
    /// Histogram bounds exported: every fourth bucket (powers of two of a microsecond, from
    /// 16 µs to about 4.2 s), exact cumulative counts of the server's finer buckets.
    static let exportedBuckets = Array(stride(from: 16, through: 88, by: 4))

    public static func render(_ stats: Ann_V1_StatsReply) -> String {
        var out = ""
        func header(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func gauge(_ name: String, _ help: String, _ value: Double, labels: String = "") {
            header(name, "gauge", help)
            out += "\(name)\(labels) \(number(value))\n"
        }
        let index = "{index=\"\(escape(stats.index))\"}"
        gauge("ann_up", "1 while the server answers.", 1, labels: index)
        gauge("ann_uptime_seconds", "Seconds since the server started.", stats.uptimeSeconds)
        header("process_cpu_seconds_total", "counter", "User and system CPU time of the server process.")
        out += "process_cpu_seconds_total \(number(stats.cpuSeconds))\n"
        gauge("ann_items", "Item rows in the store.", Double(stats.items))
        gauge("ann_item_vectors", "Items that hold a vector.", Double(stats.itemVectors))
        gauge("ann_users", "User rows in the store.", Double(stats.users))
        gauge("ann_user_vectors", "Users that hold a vector.", Double(stats.userVectors))
        gauge("ann_write_sequence", "The store's write sequence (bumped by every write).", Double(stats.writeSequence))
        gauge("ann_index_generation", "Index generations served (1 + reloads).", Double(stats.generation))
        gauge("ann_workers", "Worker threads.", Double(stats.workers))
        gauge("ann_contexts", "Requests the server holds in flight at most.", Double(stats.contexts))

        header("ann_requests_total", "counter", "Requests answered, by op and status.")
        for op in stats.ops { out += "ann_requests_total\(labels(op)) \(op.count)\n" }

        header("ann_request_duration_seconds", "histogram", "Time from receipt of a request to its reply, by op and status.")
        for op in stats.ops {
            var cumulative: UInt64 = 0
            var next = 0
            for bound in exportedBuckets {
                while next <= bound && next < op.buckets.count {
                    cumulative += op.buckets[next]
                    next += 1
                }
                out += "ann_request_duration_seconds_bucket\(labels(op, le: number(LatencyHistogram.upperBound(bound)))) \(cumulative)\n"
            }
            out += "ann_request_duration_seconds_bucket\(labels(op, le: "+Inf")) \(op.count)\n"
            out += "ann_request_duration_seconds_sum\(labels(op)) \(number(op.sumSeconds))\n"
            out += "ann_request_duration_seconds_count\(labels(op)) \(op.count)\n"
        }
        for (name, q, pick) in [("p50", "0.5", \Ann_V1_OpStats.p50Ms), ("p99", "0.99", \Ann_V1_OpStats.p99Ms),
                                ("p999", "0.999", \Ann_V1_OpStats.p999Ms)] {
            header("ann_request_latency_\(name)_seconds", "gauge", "The \(q) quantile of request latency since start, by op and status.")
            for op in stats.ops { out += "ann_request_latency_\(name)_seconds\(labels(op)) \(number(op[keyPath: pick] / 1000))\n" }
        }
        return out
    }

    private static func labels(_ op: Ann_V1_OpStats, le: String? = nil) -> String {
        var s = "{op=\"\(escape(op.op))\",status=\"\(escape(op.status))\""
        if let le { s += ",le=\"\(le)\"" }
        return s + "}"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }
}
