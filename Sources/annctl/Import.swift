import ArgumentParser
import Foundation
import Ingest
import LMDB
import Store
import VectorIndex
import VectorMath

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import embeddings, features and histories that a trainer wrote (one transaction).",
        discussion: """
        Vectors: .npy (float32/float16/float64, 2-D), .fvecs, .tsv/.csv (id<TAB>v1 v2 ... or one \
        column per value), .jsonl ({"id":..., "vector":[...], "features":{...}}). Without an ids file \
        the 0-based row number is the id. Features: .jsonl or .csv with a header id,name[:kind]. \
        Histories: TSV user<TAB>item[<TAB>timestamp]. Ids already in the store are updated. \
        Everything named in one call is written in one transaction: a bad row anywhere leaves the \
        store as it was.
        """)

    @OptionGroup var store: StoreOptions
    @Option(help: "Item vectors file.") var items: String?
    @Option(name: .customLong("item-ids"), help: "Item ids file (one per line, or a 1-D integer .npy).") var itemIDs: String?
    @Option(help: "User vectors file.") var users: String?
    @Option(name: .customLong("user-ids"), help: "User ids file.") var userIDs: String?
    @Option(name: .customLong("item-features"), help: "Item features (.jsonl or .csv).") var itemFeatures: String?
    @Option(name: .customLong("user-features"), help: "User features (.jsonl or .csv).") var userFeatures: String?
    @Option(help: "Histories: TSV user item [timestamp].") var histories: String?
    @Option(help: "Metric of a new store: ip, cosine or l2 (default ip); must match an existing store.")
    var metric: String?
    @Option(name: .customLong("format"), help: "Vectors format when the extension does not say: npy, fvecs, tsv, jsonl.")
    var format: String?
    @Option(name: .customLong("feature-kind"), parsing: .upToNextOption,
            help: "Declare feature kinds, e.g. price=numeric released=timestamp tags=multi.")
    var featureKinds: [String] = []
    @Flag(help: "No progress bar.") var quiet = false

    func validate() throws {
        if itemIDs != nil && items == nil { throw ValidationError("--item-ids needs --items") }
        if userIDs != nil && users == nil { throw ValidationError("--user-ids needs --users") }
        if items == nil && users == nil && itemFeatures == nil && userFeatures == nil && histories == nil {
            throw ValidationError("nothing to import: give --items, --users, --item-features, --user-features or --histories")
        }
        if let metric, Metric(rawValue: metric) == nil {
            throw ValidationError("--metric '\(metric)': expected ip, cosine or l2")
        }
        if let format, VectorFormat(name: format) == nil {
            throw ValidationError("--format '\(format)': expected npy, fvecs, tsv or jsonl")
        }
        _ = try parsedFeatureKinds()
    }

    func parsedFeatureKinds() throws -> [String: FeatureKind] {
        var kinds: [String: FeatureKind] = [:]
        for spec in featureKinds {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let kind = FeatureKind(name: parts[1]) else {
                throw ValidationError("--feature-kind '\(spec)': expected name=kind with kind categorical, multi, numeric or timestamp")
            }
            kinds[parts[0]] = kind
        }
        return kinds
    }

    func run() throws {
        let dataFile = (store.db as NSString).appendingPathComponent("data.mdb")
        let existed = FileManager.default.fileExists(atPath: dataFile)
        var request = ImportRequest()
        let vectorFormat = format.flatMap(VectorFormat.init(name:))
        request.items = items.map { VectorSource(path: $0, idsPath: itemIDs, format: vectorFormat) }
        request.users = users.map { VectorSource(path: $0, idsPath: userIDs, format: vectorFormat) }
        request.itemFeatures = itemFeatures
        request.userFeatures = userFeatures
        request.histories = histories
        request.metric = metric.flatMap(Metric.init(rawValue:))
        request.featureKinds = try parsedFeatureKinds()
        request.showProgress = !quiet

        // A bulk load writes through the memory map (no copy of dirty pages). LMDB then sizes
        // the file to the map, so the map is sized to what the import can need and the file is
        // cut back to the pages in use afterwards, whatever happens.
        let inputs = [items, itemIDs, users, userIDs, itemFeatures, userFeatures, histories].compactMap { $0 }
        var options = Environment.Options()
        options.writeMap = true
        // Room for the indexes the import updates: up to the size of the store again.
        options.mapSize = 2 * Self.fileBytes(dataFile) + 2 * inputs.reduce(0) { $0 + Self.fileBytes($1) } + (256 << 20)
        do {
            let embeddingStore = try EmbeddingStore(path: store.db, create: true, options: options)
            // Indexes built in the store take the new and changed item vectors in the import's
            // transaction (as the server's upserts do), so no query answers from a stale index.
            let indexes = existed ? try Self.builtIndexes(embeddingStore) : []
            let result = Result {
                try Importer(store: embeddingStore).run(request) { writer, rows in
                    for index in indexes {
                        let start = Date()
                        try index.applyWrites(upserted: rows, deleted: [], in: writer)
                        if !quiet { print("\(index.kind.rawValue) index: took \(rows.count) written rows in \(Format.seconds(Date().timeIntervalSince(start)))") }
                    }
                }
            }
            try embeddingStore.environment.closeTrimmingFile()
            let report = try result.get()
            for f in report.files {
                print("\(f.file): \(f.rows) \(f.what) (\(f.created) new rows) in \(Format.seconds(f.seconds)), \(Format.rate(f.rowsPerSecond)) rows/s")
            }
            let c = report.counts
            print("store \(store.db): \(c.items) items (\(c.itemVectors) with vectors), \(c.users) users (\(c.userVectors) with vectors); import took \(Format.seconds(report.seconds))")
        } catch {
            if !existed { try? FileManager.default.removeItem(atPath: store.db) }  // leave no empty store behind
            throw error
        }
    }

    /// The ANN indexes built in `store` (exact search needs no update). One that cannot be
    /// opened (stale from an earlier write, or of an older layout) is named on stderr and left
    /// for `annctl build`.
    static func builtIndexes(_ store: EmbeddingStore) throws -> [any SearchIndex] {
        try IndexCatalog.builtKinds(store).filter { $0 != .flat }.compactMap { kind in
            do {
                return try IndexCatalog.open(store, kind: kind)
            } catch {
                FileHandle.standardError.write(Data("warning: the \(kind.rawValue) index is not updated by this import (\(error)); rebuild it with annctl build\n".utf8))
                return nil
            }
        }
    }

    static func fileBytes(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? 0
    }
}
