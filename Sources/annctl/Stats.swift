import ArgumentParser
import Foundation
import Server
import Wire

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Counters and latencies of a running server (annctl serve), by op and status.",
        discussion: "--prometheus prints the Prometheus text format (for a scrape job or a textfile collector).")

    @Option(help: "The server, e.g. tcp://127.0.0.1:7400.") var server: String
    @Flag(help: "Prometheus text format.") var prometheus = false
    @Flag(help: "The stats reply as JSON (protobuf JSON mapping).") var json = false
    @Option(help: "Seconds to wait for the reply.") var timeout: Double = 5

    func run() throws {
        let client = try ServerClient(url: server, timeout: .milliseconds(Int(timeout * 1000)))
        var request = Ann_V1_Request()
        request.stats = Ann_V1_StatsRequest()
        let reply = try client.call(request)
        if reply.isFailure { throw RemoteError(reply.error) }
        let s = reply.stats
        if prometheus {
            print(PrometheusFormat.render(s), terminator: "")
            return
        }
        if json {
            print(try s.jsonString())
            return
        }
        print("server           \(server)")
        print("index            \(s.index)")
        print("dimension        \(s.dimension) (\(s.metric))")
        print("items            \(s.items) (\(s.itemVectors) with vectors)")
        print("users            \(s.users) (\(s.userVectors) with vectors)")
        print("write sequence   \(s.writeSequence); generation \(s.generation)")
        print("uptime           \(Format.seconds(s.uptimeSeconds)); \(s.workers) workers, \(s.contexts) contexts")
        print("op         status               count     p50 ms     p99 ms   p99.9 ms     max ms")
        for op in s.ops {
            print(Format.pad(op.op, 10) + " " + Format.pad(op.status, 18)
                  + String(format: " %8llu %10.3f %10.3f %10.3f %10.3f", op.count, op.p50Ms, op.p99Ms, op.p999Ms, op.maxMs))
        }
    }
}

/// A server's error reply, as a command-line error.
struct RemoteError: Error, CustomStringConvertible {
    let code: Ann_V1_ErrorCode
    let message: String

    init(_ error: Ann_V1_Error) {
        code = error.code
        message = error.message
    }

    var description: String { "server answered \(code.name): \(message)" }
}
