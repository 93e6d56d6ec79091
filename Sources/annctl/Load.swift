import ArgumentParser
import Dispatch
import Foundation
import Ingest
import Server
import Store
import TestSupport
import Wire

struct Load: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Closed-loop load generator: QPS and latency percentiles of a server (or of the same pipeline in-process).",
        discussion: """
        Each of --concurrency connections sends a request, waits for the reply, and sends the \
        next, for --duration seconds after a --warmup. Requests are drawn by --mix \
        (e.g. search=8,recommend=2,similar=1) from a pool prepared in advance: search vectors from \
        --queries (or item vectors of --db), users and items sampled from --db (without --db, \
        recommend uses the query vectors). --in-process answers the same requests through the \
        server's pipeline without NNG or encoding (needs --db), so the two runs give the \
        transport and protocol overhead. Several levels: --concurrency 1,2,8.
        """)

    @Option(help: "Server URL, e.g. tcp://127.0.0.1:7400.") var server: String?
    @Flag(name: .customLong("in-process"), help: "Answer in-process through the server's pipeline (needs --db).") var inProcess = false
    @Option(help: "Store to sample users, items and vectors from (and to open with --in-process).") var db: String?
    @Option(help: "Concurrent connections, or a comma-separated list of levels (1,2,8).") var concurrency: String = "1"
    @Option(help: "Seconds measured per level.") var duration: Double = 10
    @Option(help: "Seconds run before measuring, per level.") var warmup: Double = 1
    @Option(help: "Request mix, op=weight,... (search, recommend, similar).") var mix: String = "search=1"
    @Option(help: "Results per request.") var k: Int = 10
    @Option(help: "Candidates retrieved for ranking (recommend, similar).") var candidates: Int?
    @Option(help: "HNSW ef.") var ef: Int?
    @Option(help: "IVF nprobe.") var nprobe: Int?
    @Option(help: "Ask for MMR with this lambda (recommend, similar).") var mmr: Float?
    @Option(help: "Query vectors (.npy, .fvecs, .tsv, .jsonl) for search.") var queries: String?
    @Option(help: "--in-process: ranking model file, as annctl serve --model.") var model: String?
    @Flag(name: .customLong("no-ranking"), help: "--in-process: no ranking stage, as annctl serve --no-ranking.") var noRanking = false
    @Option(help: "Requests prepared per op.") var pool: Int = 1000
    @Option(help: "Seconds a request may wait for its reply.") var timeout: Double = 10
    @Option(help: "Seed of the request sampling.") var seed: UInt64 = 1
    @Flag(help: "One JSON object per level.") var json = false

    func validate() throws {
        if (server == nil) == !inProcess { throw ValidationError("give --server URL or --in-process") }
        if inProcess && db == nil { throw ValidationError("--in-process needs --db") }
        guard levels.allSatisfy({ $0 >= 1 }), !levels.isEmpty else { throw ValidationError("--concurrency '\(concurrency)': expected positive numbers") }
        guard duration > 0, warmup >= 0 else { throw ValidationError("--duration must be positive and --warmup not negative") }
        _ = try weights()
    }

    var levels: [Int] { concurrency.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func weights() throws -> [(ServerOp, Double)] {
        var out: [(ServerOp, Double)] = []
        for part in mix.split(separator: ",") {
            let kv = part.split(separator: "=")
            guard let name = kv.first, let op = [ServerOp.search, .recommend, .similar].first(where: { $0.name == name }),
                  let w = kv.count == 2 ? Double(kv[1]) : 1, w >= 0 else {
                throw ValidationError("--mix '\(part)': expected search|recommend|similar=weight")
            }
            out.append((op, w))
        }
        guard out.contains(where: { $0.1 > 0 }) else { throw ValidationError("--mix gives every op weight 0") }
        return out
    }

    func run() throws {
        let prepared = try RequestPool(command: self)
        var configuration = ServerConfiguration(storePath: db ?? "")
        if inProcess {
            configuration.recommendHandler = try Serve.recommendHandler(model: model, noRanking: noRanking)
        }
        let endpoint = inProcess ? try LocalEndpoint(configuration: configuration) : nil
        let target = server ?? "in-process \(db!)"
        for level in levels {
            let result = try LoadRun(level: level, pool: prepared, endpoint: endpoint, server: server,
                                     timeout: timeout).measure(warmup: warmup, duration: duration)
            if json {
                print(result.json(target: target, mix: mix))
            } else {
                print(result.text(target: target, mix: mix))
            }
        }
    }
}

/// Requests prepared before the clock starts, by op, with their binary encoding.
struct RequestPool {
    var requests: [[Ann_V1_Request]] = []
    var encoded: [[[UInt8]]] = []
    var cumulativeWeights: [Double] = []
    var ops: [ServerOp] = []

    init(command c: Load) throws {
        var random = SeededRandom(seed: c.seed)
        let sample = try Sample(db: c.db, queries: c.queries, count: c.pool, random: &random)
        var total = 0.0
        for (op, weight) in try c.weights() where weight > 0 {
            var list: [Ann_V1_Request] = []
            for i in 0..<c.pool {
                var r = Ann_V1_Request()
                r.requestID = UInt64(i + 1)
                switch op {
                case .search:
                    guard !sample.vectors.isEmpty else { throw ValidationError("search needs --queries or --db") }
                    var s = Ann_V1_SearchRequest()
                    s.vector = sample.vectors[i % sample.vectors.count]
                    s.k = UInt32(c.k)
                    s.ef = UInt32(c.ef ?? 0)
                    s.nprobe = UInt32(c.nprobe ?? 0)
                    r.search = s
                case .recommend:
                    var s = Ann_V1_RecommendRequest()
                    if !sample.users.isEmpty {
                        s.user = IDConversionText.wire(sample.users[i % sample.users.count])
                    } else if !sample.vectors.isEmpty {
                        s.vector = sample.vectors[i % sample.vectors.count]
                    } else {
                        throw ValidationError("recommend needs --db (users) or --queries")
                    }
                    s.k = UInt32(c.k)
                    s.candidates = UInt32(c.candidates ?? 0)
                    s.ef = UInt32(c.ef ?? 0)
                    if let lambda = c.mmr { s.mmr.lambda = lambda }
                    r.recommend = s
                default:
                    guard !sample.items.isEmpty else { throw ValidationError("similar needs --db (items)") }
                    var s = Ann_V1_SimilarRequest()
                    s.item = IDConversionText.wire(sample.items[i % sample.items.count])
                    s.k = UInt32(c.k)
                    s.candidates = UInt32(c.candidates ?? 0)
                    s.ef = UInt32(c.ef ?? 0)
                    if let lambda = c.mmr { s.mmr.lambda = lambda }
                    r.similar = s
                }
                list.append(r)
            }
            ops.append(op)
            requests.append(list)
            encoded.append(try list.map { try WireCodec.encode($0, as: .binary) })
            total += weight
            cumulativeWeights.append(total)
        }
        cumulativeWeights = cumulativeWeights.map { $0 / total }
    }

    /// An op index drawn by weight.
    func pick(_ random: inout SeededRandom) -> Int {
        let x = random.nextDouble()
        return cumulativeWeights.firstIndex { x < $0 } ?? cumulativeWeights.count - 1
    }

    /// Vectors, users and items to query, sampled from a store and/or a file of vectors.
    struct Sample {
        var vectors: [[Float]] = []
        var users: [ExternalID] = []
        var items: [ExternalID] = []

        init(db: String?, queries: String?, count: Int, random: inout SeededRandom) throws {
            if let queries {
                var reader = try openVectorReader(path: queries)
                var batch = VectorBatch()
                while vectors.count < count, try reader.next(into: &batch, maxRows: 4096) {
                    for i in 0..<batch.count where vectors.count < count {
                        vectors.append(Array(batch.vectors[i * batch.dimension ..< (i + 1) * batch.dimension]))
                    }
                }
            }
            guard let db else { return }
            let store = try EmbeddingStore(path: db, readOnly: true)
            try store.read { r in
                let counts = try r.counts()
                for _ in 0 ..< count * 4 where (counts.users > 0 && users.count < count) {
                    let row = UInt32(random.next(below: counts.users))
                    if try r.vector(ofRow: row, .user) != nil { users.append(try r.externalID(ofRow: row, .user)) }
                }
                for _ in 0 ..< count * 4 where (counts.items > 0 && items.count < count) {
                    let row = UInt32(random.next(below: counts.items))
                    guard let v = try r.vector(ofRow: row, .item) else { continue }
                    items.append(try r.externalID(ofRow: row, .item))
                    if queries == nil { vectors.append(v) }
                }
            }
        }
    }
}
