import ArgumentParser
import Dispatch
import Foundation
import Logging
import Ranking
import Server
import VectorIndex

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a store over NNG request-reply (protocol ann.v1, binary protobuf or JSON).",
        discussion: """
        Listens on every --listen URL (tcp://host:port, ipc:///path; port 0 picks a free port, \
        printed in the startup line). Requests: search, recommend, similar, batch, upsert, delete, \
        stats, health (docs/PROTOCOL.md). Signals: SIGHUP reopens the index (a new directory if \
        --db is a symlink that now leads elsewhere) without failing requests in flight; SIGINT and \
        SIGTERM stop receiving, finish the requests in flight and exit.
        """)

    @OptionGroup var store: StoreOptions
    @Option(name: .customLong("listen"), help: "URL to listen on (repeatable). Default: tcp://127.0.0.1:7400.")
    var listen: [String] = []
    @Option(help: "Worker threads answering queries (default: the number of cores).") var workers: Int?
    @Option(help: "Requests held in flight at once (NNG contexts).") var contexts: Int = 64
    @Option(help: "Index to serve: flat, hnsw or ivf (default: the best one built).") var index: String?
    @Flag(help: "Create an empty store if --db holds none (queries answer NOT_READY until an upsert brings vectors).")
    var create = false
    @Flag(name: .customLong("read-only"), help: "Refuse upsert and delete.") var readOnly = false
    @Option(name: .customLong("max-message-bytes"), help: "Largest request accepted, in bytes.") var maxMessageBytes: Int = 16 << 20
    @Option(name: .customLong("max-k"), help: "Largest k.") var maxK: Int = 1000
    @Option(name: .customLong("max-candidates"), help: "Largest candidate count for ranking.") var maxCandidates: Int = 10_000
    @Option(name: .customLong("max-batch"), help: "Most requests in one batch.") var maxBatch: Int = 256
    @Option(name: .customLong("max-dimension"), help: "Longest request vector.") var maxDimension: Int = 4096
    @Option(name: .customLong("inline-search-breadth"),
            help: "Unfiltered HNSW searches with k and ef up to this are answered on the NNG thread that received them (0: every query goes to the worker pool).")
    var inlineSearchBreadth: Int = 256
    @Option(help: "Ranking model file (JSON, docs/RANKING.md) for recommend and similar. Without one, a store with item features or histories is ranked with the default model (ANN score, weight 1).")
    var model: String?
    @Flag(name: .customLong("no-ranking"), help: "Answer recommend and similar with the retrieved candidates in retrieval order (no ranking stage).")
    var noRanking = false
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.") var logLevel: String = "info"

    func validate() throws {
        if let index, IndexKind(rawValue: index) == nil { throw ValidationError("--index '\(index)': expected flat, hnsw or ivf") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level '\(logLevel)': expected trace ... critical") }
        if let workers, workers < 1 { throw ValidationError("--workers \(workers): expected at least 1") }
        guard contexts >= 1 else { throw ValidationError("--contexts \(contexts): expected at least 1") }
        if noRanking && model != nil { throw ValidationError("--no-ranking and --model contradict each other") }
    }

    /// The ranking stage: the model file's, or the default model (ANN score, weight 1), or
    /// none with --no-ranking. The model is bound to the store when the server opens it.
    static func recommendHandler(model: String?, noRanking: Bool) throws -> any RecommendHandler {
        if noRanking { return RetrievalOnlyRecommender() }
        guard let model else { return RankingRecommender() }
        return try RankingRecommender(modelFile: model)
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var configuration = ServerConfiguration(storePath: store.db)
        if !listen.isEmpty { configuration.listen = listen }
        if let workers { configuration.workers = workers }
        configuration.contexts = contexts
        configuration.indexKind = index.flatMap(IndexKind.init(rawValue:))
        configuration.createStore = create
        configuration.readOnly = readOnly
        configuration.limits.maxMessageBytes = maxMessageBytes
        configuration.limits.maxK = maxK
        configuration.limits.maxCandidates = maxCandidates
        // The defaults for a request that leaves k or candidates 0 stay within the limits.
        configuration.limits.defaultK = min(configuration.limits.defaultK, max(maxK, 1))
        configuration.limits.defaultCandidates = min(configuration.limits.defaultCandidates, max(maxCandidates, 1))
        configuration.limits.maxBatch = maxBatch
        configuration.limits.maxDimension = maxDimension
        configuration.inlineSearchBreadth = inlineSearchBreadth
        configuration.logger = Logger(label: "annserver")
        configuration.recommendHandler = try Self.recommendHandler(model: model, noRanking: noRanking)

        let server = try AnnServer(configuration: configuration)
        let done = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if sig == SIGHUP {
                    try? server.reload()  // a failure is logged; the old index keeps serving
                } else {
                    done.signal()
                }
            }
            source.resume()
            sources.append(source)
        }
        server.start()
        done.wait()
        configuration.logger.notice("signal received: finishing requests in flight")
        let clean = server.shutdown(timeout: 10)
        sources.forEach { $0.cancel() }
        if !clean { throw ExitCode(1) }
    }
}
