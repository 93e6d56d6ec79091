import Foundation
import Logging
import VectorIndex

/// Limits on what one request may ask. Each is answered with `LIMIT_EXCEEDED` naming it.
public struct ServerLimits: Sendable, Equatable {
    /// Largest request message. A larger one (up to twice this) is answered with
    /// LIMIT_EXCEEDED; the socket refuses anything over `socketReceiveLimit` (the connection is
    /// dropped before the message is buffered).
    public var maxMessageBytes: Int = 16 << 20
    public var maxK: Int = 1000
    public var maxCandidates: Int = 10_000
    /// Requests in one batch.
    public var maxBatch: Int = 256
    /// Components of a request vector (checked before the store's dimension).
    public var maxDimension: Int = 4096
    /// Records (items + users + histories) in one upsert, ids in one delete.
    public var maxWriteRecords: Int = 100_000
    public var maxEf: Int = 10_000
    public var maxNprobe: Int = 65_536
    /// k when a request leaves it 0.
    public var defaultK: Int = 10
    /// Candidates retrieved for ranking when a request leaves it 0 (at least k).
    public var defaultCandidates: Int = 100

    public init() {}

    /// What the socket is told (`NNG_OPT_RECVMAXSZ`): twice the message limit, so that a
    /// message somewhat over the limit still gets a clear error reply.
    public var socketReceiveLimit: Int { maxMessageBytes > Int.max / 2 ? Int.max : maxMessageBytes * 2 }

    func check(_ what: String, _ value: Int, max limit: Int) throws {
        if value > limit { throw ServerError.limitExceeded(what: what, limit: limit, got: value) }
    }
}

/// How `AnnServer` runs.
public struct ServerConfiguration: Sendable {
    /// The store directory (reopened from this path on reload: it may be a symlink).
    public var storePath: String
    /// `tcp://host:port` (port 0: any free port), `ipc:///path`, `inproc://name`.
    public var listen: [String] = ["tcp://127.0.0.1:7400"]
    /// Threads answering queries (WORK steps).
    public var workers: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Work items (NNG contexts): requests in flight at once.
    public var contexts: Int = 64
    /// Largest k and ef of a `search` answered on the NNG thread that received it (no hand-off
    /// to a worker; see `RequestHandler.route`); 0 sends every request to the workers.
    public var inlineSearchBreadth: Int = 256
    public var limits = ServerLimits()
    /// The index to serve; nil: the best one built.
    public var indexKind: IndexKind?
    /// Create an empty store when `storePath` holds none (queries answer NOT_READY until an
    /// upsert brings vectors).
    public var createStore = false
    /// Refuse upsert and delete.
    public var readOnly = false
    /// How often the store's write sequence is checked for writes made by other processes.
    public var snapshotPollInterval: Duration = .seconds(1)
    /// After the last in-flight reply is handed to NNG, how long shutdown waits before
    /// closing the socket, so the reply reaches the wire.
    public var shutdownLinger: Duration = .milliseconds(50)
    /// The ranking stage of recommend and similar.
    public var recommendHandler: any RecommendHandler = RetrievalOnlyRecommender()
    public var logger = Logger(label: "annserver")

    public init(storePath: String) {
        self.storePath = storePath
    }

    func validate() throws {
        guard !listen.isEmpty else { throw ServerError.invalidConfiguration("no listen URL") }
        guard workers >= 1 else { throw ServerError.invalidConfiguration("workers \(workers): expected at least 1") }
        guard inlineSearchBreadth >= 0 else {
            throw ServerError.invalidConfiguration("inline search breadth \(inlineSearchBreadth): expected 0 or more")
        }
        guard contexts >= 1 else { throw ServerError.invalidConfiguration("contexts \(contexts): expected at least 1") }
        guard (1024 ... 1 << 30).contains(limits.maxMessageBytes) else {
            throw ServerError.invalidConfiguration("max message size \(limits.maxMessageBytes): expected 1024...1073741824 bytes")
        }
        for (name, value) in [("max k", limits.maxK), ("max batch", limits.maxBatch), ("max dimension", limits.maxDimension)] where value < 1 {
            throw ServerError.invalidConfiguration("\(name) \(value): expected at least 1")
        }
        guard limits.maxCandidates >= limits.maxK else {
            throw ServerError.invalidConfiguration("max candidates \(limits.maxCandidates): expected at least max k (\(limits.maxK)), since candidates must be at least k")
        }
        guard (1...limits.maxK).contains(limits.defaultK) else {
            throw ServerError.invalidConfiguration("default k \(limits.defaultK): expected 1...\(limits.maxK) (max k)")
        }
        guard (1...limits.maxCandidates).contains(limits.defaultCandidates) else {
            throw ServerError.invalidConfiguration("default candidates \(limits.defaultCandidates): expected 1...\(limits.maxCandidates) (max candidates)")
        }
    }
}
