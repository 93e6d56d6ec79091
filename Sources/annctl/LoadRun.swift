import Dispatch
import Foundation
import Server
import Store
import TestSupport
import Wire

/// One closed-loop measurement at one concurrency level (`annctl load`).
struct LoadRun {
    let level: Int
    let pool: RequestPool
    let endpoint: LocalEndpoint?
    let server: String?
    let timeout: Double

    struct Result {
        var level: Int
        var seconds: Double
        var latencies: [Double]  // seconds, sorted
        var errors: [String: Int]
        var transportErrors: Int
        /// CPU seconds the answering side used in the measured window: the server's (from its
        /// `stats`), or this process's when in-process; nil when unknown (a peer without stats).
        var cpuSeconds: Double?
        /// CPU seconds this load generator used in the measured window (against a server: the
        /// client's share of the cores it shares with the server).
        var loadCPUSeconds: Double?

        var requests: Int { latencies.count }
        var errorCount: Int { errors.values.reduce(0, +) + transportErrors }
        var qps: Double { Double(requests) / seconds }
        var cpuMicrosPerRequest: Double? { cpuSeconds.map { requests > 0 ? $0 / Double(requests) * 1e6 : 0 } }
        var loadCPUMicrosPerRequest: Double? { loadCPUSeconds.map { requests > 0 ? $0 / Double(requests) * 1e6 : 0 } }

        func quantile(_ q: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let i = min(latencies.count - 1, max(0, Int((q * Double(latencies.count)).rounded(.up)) - 1))
            return latencies[i]
        }

        func text(target: String, mix: String) -> String {
            var s = "\(target): concurrency \(level), \(String(format: "%.1f", seconds)) s, mix \(mix): "
            s += "\(requests) requests, \(String(format: "%.1f", qps)) QPS, \(errorCount) errors\n"
            s += String(format: "  latency ms  p50 %.3f  p95 %.3f  p99 %.3f  p99.9 %.3f  max %.3f",
                        quantile(0.5) * 1e3, quantile(0.95) * 1e3, quantile(0.99) * 1e3, quantile(0.999) * 1e3,
                        (latencies.last ?? 0) * 1e3)
            if let cpu = cpuMicrosPerRequest { s += String(format: "  cpu/request %.0f us", cpu) }
            if let cpu = loadCPUMicrosPerRequest { s += String(format: " (load generator %.0f us)", cpu) }
            if errorCount > 0 {
                let list = errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                s += "\n  errors: " + (list + (transportErrors > 0 ? ["transport \(transportErrors)"] : [])).joined(separator: ", ")
            }
            return s
        }

        func json(target: String, mix: String) -> String {
            let errs = errors.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
            return "{\"target\":\(JSONText.quoted(target)),\"mix\":\(JSONText.quoted(mix)),\"concurrency\":\(level),"
                + String(format: "\"seconds\":%.3f,\"requests\":%d,\"qps\":%.1f,", seconds, requests, qps)
                + String(format: "\"p50_ms\":%.4f,\"p95_ms\":%.4f,\"p99_ms\":%.4f,\"p999_ms\":%.4f,\"max_ms\":%.4f,",
                         quantile(0.5) * 1e3, quantile(0.95) * 1e3, quantile(0.99) * 1e3, quantile(0.999) * 1e3,
                         (latencies.last ?? 0) * 1e3)
                + "\"cpu_us_per_request\":" + (cpuMicrosPerRequest.map { String(format: "%.1f", $0) } ?? "null") + ","
                + "\"load_cpu_us_per_request\":" + (loadCPUMicrosPerRequest.map { String(format: "%.1f", $0) } ?? "null") + ","
                + "\"errors\":\(errorCount),\"errors_by_code\":{\(errs)},\"transport_errors\":\(transportErrors)}"
        }
    }

    /// Per-thread figures.
    final class Lane: @unchecked Sendable {
        var latencies: [Double] = []
        var errors: [String: Int] = [:]
        var transportErrors = 0
        var failure: Error?
    }

    func measure(warmup: Double, duration: Double) throws -> Result {
        let start = DispatchTime.now().uptimeNanoseconds
        let measureFrom = start + UInt64(warmup * 1e9)
        let stopAt = measureFrom + UInt64(duration * 1e9)
        let lanes = (0..<level).map { _ in Lane() }
        let group = DispatchGroup()
        for (i, lane) in lanes.enumerated() {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                let seed = UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15
                do {
                    if let server {
                        try LoadLane(url: server, timeout: timeout, pool: pool, lane: lane, seed: seed,
                                     measureFrom: measureFrom, stopAt: stopAt).run()
                    } else {
                        try drive(lane: lane, seed: seed, measureFrom: measureFrom, stopAt: stopAt)
                    }
                } catch {
                    lane.failure = error
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        sleepUntil(measureFrom)
        let loadStart = ProcessCPU.seconds()
        let cpuStart = cpuSeconds()
        sleepUntil(stopAt)
        let loadEnd = ProcessCPU.seconds()
        let cpuEnd = cpuSeconds()
        group.wait()
        if let failure = lanes.compactMap(\.failure).first { throw failure }
        var result = Result(level: level, seconds: duration, latencies: [], errors: [:], transportErrors: 0)
        if let cpuStart, let cpuEnd { result.cpuSeconds = cpuEnd - cpuStart }
        if server != nil { result.loadCPUSeconds = loadEnd - loadStart }
        for lane in lanes {
            result.latencies += lane.latencies
            result.errors.merge(lane.errors, uniquingKeysWith: +)
            result.transportErrors += lane.transportErrors
        }
        result.latencies.sort()
        return result
    }

    /// Sleeps until `deadline` (`DispatchTime` nanoseconds).
    private func sleepUntil(_ deadline: UInt64) {
        let now = DispatchTime.now().uptimeNanoseconds
        if deadline > now { Thread.sleep(forTimeInterval: Double(deadline - now) * 1e-9) }
    }

    /// CPU seconds of the answering side: the server's `stats`, or this process in-process.
    private func cpuSeconds() -> Double? {
        guard let server else { return ProcessCPU.seconds() }
        var request = Ann_V1_Request()
        request.stats = Ann_V1_StatsRequest()
        guard let client = try? ServerClient(url: server, timeout: .seconds(2)),
              let reply = try? client.call(request), !reply.isFailure, reply.stats.cpuSeconds > 0 else { return nil }
        return reply.stats.cpuSeconds
    }

    /// One in-process closed loop (a server is driven by `LoadLane`).
    private func drive(lane: Lane, seed: UInt64, measureFrom: UInt64, stopAt: UInt64) throws {
        var random = SeededRandom(seed: seed)
        lane.latencies.reserveCapacity(1 << 16)
        let session = endpoint?.makeSession()
        var n = random.next(below: 1 << 20)
        while true {
            let t0 = DispatchTime.now().uptimeNanoseconds
            if t0 >= stopAt { break }
            let op = pool.pick(&random)
            n += 1
            let slot = n % pool.requests[op].count
            let code = session?.answer(pool.requests[op][slot]).error.code ?? .ok
            let t1 = DispatchTime.now().uptimeNanoseconds
            if t0 >= measureFrom && t1 <= stopAt {
                lane.latencies.append(Double(t1 - t0) * 1e-9)
                if code != .ok { lane.errors[code.name, default: 0] += 1 }
            }
        }
    }
}
