import ArgumentParser
import Foundation
import Server
import Store
import Wire

/// `annctl query --server URL`: the same targets, options and output as the in-process
/// query, answered by a running server (--vector: search, --item: similar, --user:
/// recommend; a --queries file goes as batches of searches).
extension Query {
    func runRemote(_ url: String) throws {
        if exact || index != nil { throw ValidationError("--exact and --index choose the in-process index; the server serves its own (use --db)") }
        let client = try ServerClient(url: url)
        var probe = Ann_V1_Request()
        probe.health = Ann_V1_HealthRequest()
        let health = try checked(client.call(probe)).health
        let dimension = Int(health.dimension)
        let columns = show?.split(separator: ",").map(String.init) ?? []
        let ranked = ranking.isRequested
        if ranked { try ranking.checkServerModel(health.ranking, url: url) }
        let fields = ranked ? try ranking.wireFields(k: k) : nil

        // As in-process: every target and every row of the --queries file is read, checked and
        // answered before the first line is printed, so a failure prints only its error.
        let order = targetOrder
        var requests: [(String, Ann_V1_Request)] = []
        for slot in order where slot != .queries {
            requests.append(try request(for: slot, dimension: dimension, columns: columns, fields: fields))
        }
        let file = try queries.map { try readQueries($0, dimension: dimension) }
        let singles = try requests.map { label, request -> (String, [Ann_V1_Hit], Double) in
            let clock = Date()
            let reply = try client.call(request)
            if reply.isFailure { throw TargetFailure(target: label, error: RemoteError(reply.error)) }
            let note = label.hasPrefix("user") && !includeSeen ? " (seen items left out)" : ""
            return (label + note, reply.results.hits, Date().timeIntervalSince(clock))
        }
        let clock = Date()
        var answers: [[Ann_V1_Hit]] = []
        if let queries, let file {
            var start = 0
            while start < file.count {
                let n = min(256, file.count - start)
                var batch = Ann_V1_BatchRequest()
                for q in start ..< start + n {
                    var search = Ann_V1_SearchRequest()
                    search.vector = Array(file.data[q * dimension ..< (q + 1) * dimension])
                    fill(&search)
                    search.features = columns
                    var r = Ann_V1_Request()
                    r.search = search
                    batch.requests.append(r)
                }
                var r = Ann_V1_Request()
                r.batch = batch
                let reply = try client.call(r)
                if reply.isFailure { throw TargetFailure(target: queries, error: RemoteError(reply.error)) }
                for (i, sub) in reply.batch.replies.enumerated() {
                    if sub.isFailure { throw TargetFailure(target: "\(queries), \(file.locations[start + i])", error: RemoteError(sub.error)) }
                    answers.append(sub.results.hits)
                }
                start += n
            }
        }
        let seconds = Date().timeIntervalSince(clock)

        if !json { print("index: \(health.index) (server \(url))" + (health.ranking.isEmpty ? "" : "; \(health.ranking)")) }
        let fromFile = answers.enumerated().map { i, hits in ("\(queries ?? "") #\(i)", hits, seconds / Double(max(answers.count, 1))) }
        for (number, (label, hits, seconds)) in Self.inCommandLineOrder(order, singles: singles, file: fromFile).enumerated() {
            emitRemote(label: label, hits: hits, seconds: seconds, number: number, columns: columns)
        }
        if let queries, !json {
            print("\(answers.count) queries from \(queries) in \(Format.seconds(seconds)) (\(Format.rate(Double(answers.count) / seconds)) queries/s, batches of 256 to \(url))")
        }
    }

    /// The request for one --vector (search, or recommend with ranking options), --item
    /// (similar) or --user (recommend) target, with its label.
    private func request(for slot: TargetSlot, dimension: Int, columns: [String],
                         fields: RankingOptions.WireFields?) throws -> (String, Ann_V1_Request) {
        var r = Ann_V1_Request()
        switch slot {
        case .vector(let i):
            if let fields {
                var recommend = Ann_V1_RecommendRequest()
                recommend.vector = try parseVector(vectors[i], dimension: dimension)
                fill(&recommend)
                recommend.features = columns
                apply(fields, &recommend)
                r.recommend = recommend
            } else {
                var search = Ann_V1_SearchRequest()
                search.vector = try parseVector(vectors[i], dimension: dimension)
                fill(&search)
                search.features = columns
                r.search = search
            }
            return ("vector", r)
        case .item(let i):
            var similar = Ann_V1_SimilarRequest()
            similar.item = IDConversionText.wire(try RankingOptions.id(items[i], "--item"))
            fill(&similar)
            similar.features = columns
            if let fields { apply(fields, &similar) }
            r.similar = similar
            return ("item \(items[i])", r)
        case .user(let i):
            var recommend = Ann_V1_RecommendRequest()
            recommend.user = IDConversionText.wire(try RankingOptions.id(users[i], "--user"))
            recommend.includeSeen = includeSeen
            fill(&recommend)
            recommend.features = columns
            if let fields { apply(fields, &recommend) }
            r.recommend = recommend
            return ("user \(users[i])", r)
        case .queries:
            throw ValidationError("--queries is answered in batches, not as one request")
        }
    }

    private func fill<R: TunedWireRequest>(_ r: inout R) {
        r.k = UInt32(clamping: k)
        r.ef = UInt32(clamping: ef ?? 0)
        r.nprobe = UInt32(clamping: nprobe ?? 0)
    }

    /// The ranking options of a `recommend` or `similar` request (the two carry the same fields).
    private func apply<R: RankedWireRequest>(_ f: RankingOptions.WireFields, _ r: inout R) {
        r.candidates = f.candidates
        r.filter = f.filter
        r.context = f.context
        r.mmr = f.mmr
        r.rules = f.rules
        r.session = f.session
        r.explain = ranking.explain
    }

    private func checked(_ reply: Ann_V1_Reply) throws -> Ann_V1_Reply {
        if reply.isFailure { throw RemoteError(reply.error) }
        return reply
    }

    /// The in-process output format, from a reply's hits.
    private func emitRemote(label: String, hits: [Ann_V1_Hit], seconds: Double, number: Int, columns: [String]) {
        if json {
            let idList = hits.map { IDConversionText.json($0.id) }.joined(separator: ",")
            let scoreList = hits.map { Format.json($0.score) }.joined(separator: ",")
            var line = "{\"query\":\(number),\"ids\":[\(idList)],\"scores\":[\(scoreList)]"
            if ranking.isRequested {
                line += ",\"ann_scores\":[" + hits.map { $0.hasAnnScore ? Format.json($0.annScore) : "null" }.joined(separator: ",") + "]"
                if ranking.explain { line += ",\"reasons\":[" + hits.map { Format.jsonString($0.reason) }.joined(separator: ",") + "]" }
            }
            print(line + "}")
            return
        }
        print("\(label): \(hits.count) results in \(Format.milliseconds(seconds))")
        for (rank, hit) in hits.enumerated() {
            var line = String(format: "  %3d  ", rank + 1) + Format.pad(hit.id.text, 16) + String(format: " %10.6f", hit.score)
            if ranking.isRequested { line += hit.hasAnnScore ? String(format: "  ann %9.5f", hit.annScore) : "  ann         -" }
            for name in columns {
                line += "  \(name)=" + (hit.features[name].flatMap(IDConversionText.feature).map(Format.feature) ?? "-")
            }
            if !hit.reason.isEmpty { line += "  " + hit.reason }
            print(line)
        }
    }
}

/// Store types <-> ann.v1 messages, for the command line.
enum IDConversionText {
    static func wire(_ id: ExternalID) -> Ann_V1_Id {
        switch id {
        case .number(let n): return .number(n)
        case .string(let s): return .string(s)
        }
    }

    static func json(_ id: Ann_V1_Id) -> String {
        switch id.kind {
        case .num(let n): return String(n)
        case .str(let s): return Format.jsonString(s)
        case nil: return "null"
        }
    }

    static func feature(_ f: Ann_V1_Feature) -> FeatureValue? {
        switch f.value {
        case .label(let s): return .categorical(s)
        case .labels(let l): return .multiCategorical(l.values)
        case .number(let x): return .numeric(x)
        case .time(let t): return .timestamp(t)
        case nil: return nil
        }
    }
}

/// The size and breadth fields of `search`, `recommend` and `similar` requests (one `fill`).
private protocol TunedWireRequest {
    var k: UInt32 { get set }
    var ef: UInt32 { get set }
    var nprobe: UInt32 { get set }
}

/// The fields `recommend` and `similar` requests share, so one `apply` fills either.
private protocol RankedWireRequest: TunedWireRequest {
    var candidates: UInt32 { get set }
    var filter: Ann_V1_Filter { get set }
    var context: [String: String] { get set }
    var mmr: Ann_V1_Mmr { get set }
    var rules: Ann_V1_Rules { get set }
    var session: Ann_V1_Session { get set }
    var explain: Bool { get set }
}

extension Ann_V1_RecommendRequest: RankedWireRequest {}
extension Ann_V1_SimilarRequest: RankedWireRequest {}
extension Ann_V1_SearchRequest: TunedWireRequest {}
