import ArgumentParser
import Foundation
import Ingest
import Store
import VectorIndex
import VectorMath

struct Query: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Top-k items for vectors, items (similar items) or users (recommendations).",
        discussion: """
        Targets may be repeated and mixed: --vector "0.1,0.2,...", --item ID, --user ID, and \
        --queries FILE (.fvecs, .npy, .tsv or .jsonl; answered in batch). A user's history is left \
        out of its answer (unless --include-seen), and an item is left out of its own. Scores: \
        similarity for ip and cosine, squared distance for l2. Answers come in command-line order \
        (the file's rows in file order, where --queries stands); every target and every row is \
        checked and answered before the first is printed, so a failure prints only its error. \
        --json prints one object per query, numbered from 0 in that order: \
        {"query": i, "ids": [...], "scores": [...]}.
        """)

    @Option(help: "Store directory (one LMDB environment); or use --server.") var db: String?
    @Option(help: "Ask a running server (annctl serve) instead of opening --db, e.g. tcp://127.0.0.1:7400.") var server: String?
    @Option(help: "Results per query (1...100000).") var k: Int = 10
    @Flag(help: "Exact search (brute force by BLAS), whatever index is built.") var exact = false
    @Option(help: "Index to use: flat, hnsw or ivf (default: the best one built).") var index: String?
    @Option(help: "HNSW: candidate list size (recall/speed knob).") var ef: Int?
    @Option(help: "IVF: lists to probe.") var nprobe: Int?
    @Option(help: "Threads answering a --queries file (1: one query at a time on one thread).") var threads: Int = 1
    @Option(help: "Answer a --queries file in batches of this many queries per call on each thread (indexes with a batched path: flat, ivf).")
    var batch: Int?
    @Option(name: .customLong("vector"), help: "A query vector: comma- or space-separated numbers (write --vector=-0.5,... when the first is negative).") var vectors: [String] = []
    @Option(name: .customLong("item"), help: "Items similar to this item id.") var items: [String] = []
    @Option(name: .customLong("user"), help: "Recommendations for this user id.") var users: [String] = []
    @Option(help: "A file of query vectors, answered in one batch.") var queries: String?
    @Flag(name: .customLong("include-seen"), help: "Do not leave a user's history out of the answer.") var includeSeen = false
    @Flag(help: "One JSON object per query on stdout.") var json = false
    @Option(name: .customLong("show"), help: "Item feature columns to print beside each result, comma-separated (e.g. category,popularity); with --json, a \"features\" list of one object per hit.")
    var show: String?
    @OptionGroup(title: "Ranking (any of these runs the full pipeline: retrieve, features, model, rules, MMR)") var ranking: RankingOptions

    func validate() throws {
        if vectors.isEmpty && items.isEmpty && users.isEmpty && queries == nil {
            throw ValidationError("nothing to query: give --vector, --item, --user or --queries")
        }
        if (db == nil) == (server == nil) { throw ValidationError("give either --db DIR or --server URL") }
        guard (1...FlatIndex.maxK).contains(k) else { throw ValidationError("--k \(k): expected 1...\(FlatIndex.maxK)") }
        if let index, IndexKind(rawValue: index) == nil { throw ValidationError("--index '\(index)': expected flat, hnsw or ivf") }
        if let ef, ef < 1 { throw ValidationError("--ef \(ef): expected at least 1") }
        if let nprobe, nprobe < 1 { throw ValidationError("--nprobe \(nprobe): expected at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads \(threads): expected at least 1") }
        if let batch, batch < 1 { throw ValidationError("--batch \(batch): expected at least 1") }
    }

    struct Answer {
        var label: String
        var results: [ScoredID]
        var seconds: Double
    }

    func run() throws {
        if let server { return try runRemote(server) }
        if ranking.isRequested { return try runRanked() }
        let db = self.db!
        // A known user without an embedding is answered as the server does: by the pipeline's
        // cold start (the mean of its history, or popular items).
        if try !users.isEmpty && Self.hasUserWithoutEmbedding(db, users.map { try RankingOptions.id($0, "--user") }) { return try runRanked() }
        let embeddingStore = try EmbeddingStore(path: db, readOnly: true)
        guard let meta = try embeddingStore.meta() else { throw StoreError.notInitialized(path: db) }
        let searchIndex = try IndexCatalog.open(embeddingStore, kind: exact ? .flat : index.flatMap(IndexKind.init(rawValue:)))
        let retriever = searchIndex.makeRetriever()
        let parameters = SearchParameters(k: k, ef: ef, nprobe: nprobe)
        // Everything the command line names is parsed, read and answered before the first line
        // is printed: a bad target or a bad row of the --queries file gives only its error.
        let order = targetOrder
        let targets = try labelledTargets(order, dimension: meta.dimension, vector: QueryTarget.vector,
                                          item: QueryTarget.item, user: QueryTarget.user)
        let file = try queries.map { try readQueries($0, dimension: meta.dimension) }
        let singles = try embeddingStore.read { reader in
            try targets.map { label, target -> Answer in
                let clock = Date()
                let resolved = try target.resolve(reader, excludeSeen: !includeSeen)
                let filter = resolved.excluded.isEmpty ? nil : SearchFilter.excluding(resolved.excluded)
                let results = try retriever.search(reader, query: resolved.vector, parameters: parameters, filter: filter)
                let note = label.hasPrefix("user") ? " (\(resolved.excluded.count) seen items left out)" : ""
                return Answer(label: label + note, results: results, seconds: Date().timeIntervalSince(clock))
            }
        }
        var fileAnswers: [[ScoredID]] = []
        var seconds = 0.0, cpu = 0.0
        if let file {
            let clock = Date(), cpuClock = Self.cpuSeconds()
            fileAnswers = try answer(file.data, count: file.count, dimension: meta.dimension, index: searchIndex,
                                     store: embeddingStore, parameters: parameters)
            seconds = Date().timeIntervalSince(clock)
            cpu = Self.cpuSeconds() - cpuClock
        }

        if !json { print("index: \(searchIndex.summary)" + Self.overrides(ef: ef, nprobe: nprobe, kind: searchIndex.kind)) }
        let fromFile = fileAnswers.enumerated().map { i, results in
            Answer(label: "\(queries ?? "") #\(i)", results: results, seconds: seconds / Double(max(fileAnswers.count, 1)))
        }
        try embeddingStore.read { reader in
            for (number, answer) in Self.inCommandLineOrder(order, singles: singles, file: fromFile).enumerated() {
                try emit(answer, number: number, reader: reader, metric: meta.metric)
            }
        }
        guard let queries, let count = file?.count else { return }
        let mode = searchIndex.kind == .flat && batch == nil ? "batched"
            : "\(threads) thread(s)" + (batch.map { ", batches of \($0)" } ?? "")
        let summary = "\(count) queries from \(queries) in \(Format.seconds(seconds)) (\(Format.rate(Double(count) / seconds)) queries/s, \(mode); cpu \(Format.seconds(cpu)))"
        if json {
            // Tools read the answers on stdout and the timing on stderr: the summary line, then
            // the same figures as one JSON object on the last line.
            FileHandle.standardError.write(Data((summary + "\n").utf8))
            FileHandle.standardError.write(Data("{\"queries\":\(count),\"seconds\":\(seconds),\"cpu_seconds\":\(cpu),\"index\":\(Format.jsonString(searchIndex.summary))}\n".utf8))
        } else {
            print(summary)
        }
    }

    /// Answers a file of queries: exact search in batches; other indexes one query at a time on
    /// `threads` threads, each with its own retriever and snapshot, or `--batch N` queries per
    /// `searchBatch` call.
    private func answer(_ data: [Float], count: Int, dimension: Int, index: any SearchIndex, store: EmbeddingStore,
                        parameters: SearchParameters) throws -> [[ScoredID]] {
        if index.kind == .flat && batch == nil {
            return try store.read { reader in
                try data.withUnsafeBufferPointer { try index.makeRetriever().searchBatch(reader, queries: $0, parameters: parameters, filter: nil) }
            }
        }
        final class Slots: @unchecked Sendable {
            var results: [[ScoredID]]
            var errors: [Error] = []
            let lock = NSLock()
            init(_ n: Int) { results = Array(repeating: [], count: n) }
        }
        let slots = Slots(count)
        let workers = min(threads, max(count, 1))
        if workers > 1 || index.kind != .flat { BLAS.setThreads(1) }  // parallel across workers, not inside a product
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            do {
                let retriever = index.makeRetriever()
                try store.read { reader in
                    try data.withUnsafeBufferPointer { all in
                        if let batch {
                            // Worker w answers batches w, w + workers, ...
                            var first = w * batch
                            while first < count {
                                let n = min(batch, count - first)
                                let group = UnsafeBufferPointer(rebasing: all[first * dimension ..< (first + n) * dimension])
                                let answers = try retriever.searchBatch(reader, queries: group, parameters: parameters, filter: nil)
                                for (i, a) in answers.enumerated() { slots.results[first + i] = a }
                                first += workers * batch
                            }
                            return
                        }
                        var q = w
                        while q < count {
                            let query = UnsafeBufferPointer(rebasing: all[q * dimension ..< (q + 1) * dimension])
                            slots.results[q] = try retriever.search(reader, query: query, parameters: parameters, filter: nil)
                            q += workers
                        }
                    }
                }
            } catch {
                slots.lock.lock(); slots.errors.append(error); slots.lock.unlock()
            }
        }
        if let error = slots.errors.first { throw error }
        return slots.results
    }

    /// CPU time of this process so far (all threads): on a busy machine a steadier measure than the clock.
    static func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    private func emit(_ answer: Answer, number: Int, reader: StoreReader, metric: Metric) throws {
        let ids = try answer.results.map { try reader.externalID(ofRow: $0.id, .item) }
        let scores = answer.results.map { metric.displayScore($0.score) }
        let columns = show?.split(separator: ",").map(String.init) ?? []
        if json {
            let idList = ids.map(Format.json).joined(separator: ",")
            let scoreList = scores.map(Format.json).joined(separator: ",")
            var features = ""
            if !columns.isEmpty {
                // One object per hit: the --show columns as printed, null where a hit has none.
                let objects = try answer.results.map { hit -> String in
                    let values = try reader.features(row: hit.id, .item)
                    return "{" + columns.map { Format.jsonString($0) + ":" + (values[$0].map { Format.jsonString(Format.feature($0)) } ?? "null") }
                        .joined(separator: ",") + "}"
                }
                features = ",\"features\":[" + objects.joined(separator: ",") + "]"
            }
            print("{\"query\":\(number),\"ids\":[\(idList)],\"scores\":[\(scoreList)]\(features)}")
            return
        }
        print("\(answer.label): \(ids.count) results in \(Format.milliseconds(answer.seconds))")
        for (rank, (id, score)) in zip(ids, scores).enumerated() {
            var line = String(format: "  %3d  ", rank + 1) + Format.pad(id.description, 16) + String(format: " %10.6f", score)
            if !columns.isEmpty {
                let features = try reader.features(row: answer.results[rank].id, .item)
                for name in columns { line += "  \(name)=" + (features[name].map(Format.feature) ?? "-") }
            }
            print(line)
        }
    }

    /// What the summary's defaults become for these queries (`--ef`, `--nprobe`), or "".
    static func overrides(ef: Int?, nprobe: Int?, kind: IndexKind) -> String {
        switch kind {
        case .hnsw: return ef.map { "; these queries use ef \($0)" } ?? ""
        case .ivf: return nprobe.map { "; these queries use nprobe \($0)" } ?? ""
        case .flat: return ef != nil || nprobe != nil ? "; exact search: --ef and --nprobe do not apply" : ""
        }
    }

    static func hasUserWithoutEmbedding(_ db: String, _ ids: [ExternalID]) throws -> Bool {
        let store = try EmbeddingStore(path: db, readOnly: true)
        return try store.read { reader in
            try ids.contains { id in
                guard let row = try reader.row(of: id, .user) else { return false }
                return try reader.withVector(ofRow: row, .user) { $0 == nil }
            }
        }
    }

    func parseVector(_ text: String, dimension: Int) throws -> [Float] {
        let parts = text.split(whereSeparator: { $0 == "," || $0 == " " })
        var v: [Float] = []
        for (i, p) in parts.enumerated() {
            guard let x = Float(p), x.isFinite else { throw ValidationError("--vector component \(i) '\(p)' is not a finite number") }
            v.append(x)
        }
        guard v.count == dimension else { throw ValidationError("--vector has \(v.count) components, the store holds \(dimension)-d vectors") }
        let squaredNorm = v.withUnsafeBufferPointer { Distance.squaredNorm($0.baseAddress!, count: dimension) }
        guard squaredNorm <= Distance.maximumSquaredNorm else {
            throw ValidationError("--vector: squared norm \(squaredNorm) exceeds \(Distance.maximumSquaredNorm) (scores would overflow float32)")
        }
        return v
    }

    /// Reads and checks every row of a --queries file (a bad row anywhere fails the whole command).
    func readQueries(_ path: String, dimension: Int) throws -> QueryFile {
        var reader = try openVectorReader(path: path, expectedDimension: dimension, idColumnOptional: true)
        var batch = VectorBatch()
        var file = QueryFile()
        while try reader.next(into: &batch, maxRows: 8192) {
            let tooLong = batch.vectors.withUnsafeBufferPointer { v in
                (0 ..< batch.count).first { !(Distance.squaredNorm(v.baseAddress! + $0 * dimension, count: dimension) <= Distance.maximumSquaredNorm) }
            }
            if let row = tooLong {
                throw ValidationError("\(path), \(batch.locations[row]): squared norm exceeds \(Distance.maximumSquaredNorm) (scores would overflow float32)")
            }
            file.data += batch.vectors
            file.count += batch.count
            file.locations += batch.locations
        }
        return file
    }
}
