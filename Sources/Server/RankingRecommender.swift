import Foundation
import Ranking
import Store
import VectorIndex
import VectorMath

/// The ranking pipeline of module `Ranking` as the server's recommend/similar stage: retrieve
/// (filters pushed into the search), features, the model, rules, MMR, explanations.
///
/// Shared: the model and, per store snapshot, one `Recommender` (item catalogue + bound
/// scorer), built on first use and brought forward when a write has committed: patched from the
/// store's change log for the server's own writes (before readers see them: `didCommit`);
/// after a write from another process (an import), loaded again in the background while
/// requests are answered from the catalogue at hand (its rows' features as before the import;
/// rows it does not know yet get missing features). Per worker: a `Ranker` (all request buffers) over the
/// worker's own retriever. A request takes no lock unless the store's write sequence moved
/// past the catalogue it holds.
public final class RankingRecommender: RecommendHandler, @unchecked Sendable {
    public let model: RankingModel
    public let modelPath: String
    /// FNV-1a 64 of the model's canonical JSON (`RankingModel.jsonText()`), 16 hex digits:
    /// clients compare it to the model they expect.
    public let fingerprint: String
    public let catalogOptions: ItemCatalog.Options
    public let historyWindow: Int

    private struct Bound {
        let store: EmbeddingStore
        let index: any SearchIndex
        let writeSequence: UInt64
        let recommender: Recommender
    }

    private let lock = NSLock()
    private var bound: Bound?
    /// A full load running in the background (after a write from another process).
    private var loading = false
    /// The last background load failed: the next request loads in its own path (and reports why).
    private var loadFailed = false

    /// `modelPath` names the model in logs and errors ("(default model)" without a file).
    public init(model: RankingModel = .default, modelPath: String = "(default model)",
                catalogOptions: ItemCatalog.Options = ItemCatalog.Options(), historyWindow: Int = 20) {
        self.model = model
        self.modelPath = modelPath
        self.catalogOptions = catalogOptions
        self.historyWindow = historyWindow
        fingerprint = Self.fingerprint(model)
    }

    /// Loads the model from a JSON file (docs/RANKING.md).
    public convenience init(modelFile: String, catalogOptions: ItemCatalog.Options = ItemCatalog.Options()) throws {
        self.init(model: try RankingModel.load(path: modelFile), modelPath: modelFile, catalogOptions: catalogOptions)
    }

    public var summary: String {
        "ranking model \(modelPath) (\(model.features.count) features, \(model.crosses.count) crosses, fingerprint \(fingerprint))"
    }

    /// 16 hex digits identifying a model's content.
    public static func fingerprint(_ model: RankingModel) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in model.jsonText().utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Binds the model to the store now (catalogue load, feature check), so that a model the
    /// store cannot serve fails at startup rather than on the first request.
    public func prepare(store: EmbeddingStore, index: any SearchIndex) throws {
        try store.read { reader in _ = try recommender(store: store, index: index, reader: reader, atLeast: 0) }
    }

    /// Brings the shared catalogue forward to the write just committed (a patch of the rows it
    /// touched), on the writer's thread: workers then find it current and take no lock for it.
    public func didCommit(store: EmbeddingStore, index: any SearchIndex) throws {
        try store.read { reader in _ = try recommender(store: store, index: index, reader: reader, atLeast: try reader.writeSequence()) }
    }

    public func makeSession(store: EmbeddingStore, index: any SearchIndex, retriever: any Retriever) throws -> any RecommendSession {
        Session(handler: self, store: store, index: index, retriever: retriever)
    }

    /// The shared recommender for `store`/`index` whose catalogue is at least as new as
    /// `atLeast` (loaded from `reader` when the cached one is older or for another index).
    func recommender(store: EmbeddingStore, index: any SearchIndex, reader: StoreReader,
                     atLeast sequence: UInt64) throws -> (Recommender, UInt64) {
        lock.lock()
        defer { lock.unlock() }
        if let b = bound(for: store, index), b.writeSequence >= sequence { return (b.recommender, b.writeSequence) }
        let current = try reader.writeSequence()
        // Writes made through this server patch the catalogue (the rows they touched); others
        // (an import from another process) and a new index reload it whole.
        var patched: ItemCatalog?
        if let b = bound(for: store, index) {
            if let changes = store.changeLog.changes(after: b.writeSequence, through: current) {
                patched = try b.recommender.catalog.updated(reader, changes: changes)
            }
            if patched == nil && !loadFailed {
                // A full load (seconds at millions of items) would hold every request behind
                // this lock: answer from the catalogue at hand while it loads in the background.
                // Rows it does not know yet get missing features; filters do not depend on it.
                if !loading { loadInBackground(store: store, index: index) }
                return (b.recommender, b.writeSequence)
            }
        }
        loadFailed = false
        let catalog = try patched ?? ItemCatalog.load(reader, options: catalogOptions)
        return try bind(catalog, store: store, index: index, sequence: current)
    }

    /// Under `lock`: the bound catalogue when it belongs to `store` and `index`.
    private func bound(for store: EmbeddingStore, _ index: any SearchIndex) -> Bound? {
        guard let b = bound, b.store === store, b.index === index else { return nil }
        return b
    }

    /// Under `lock`: makes `catalog` the shared one (unless a newer one is bound already).
    private func bind(_ catalog: ItemCatalog, store: EmbeddingStore, index: any SearchIndex,
                      sequence: UInt64) throws -> (Recommender, UInt64) {
        if let b = bound(for: store, index), b.writeSequence >= sequence { return (b.recommender, b.writeSequence) }
        let recommender = try Recommender(catalog: catalog, index: index, model: model, modelPath: modelPath,
                                          historyWindow: historyWindow)
        bound = Bound(store: store, index: index, writeSequence: sequence, recommender: recommender)
        return (recommender, sequence)
    }

    /// Under `lock`: loads the catalogue from a fresh snapshot on another thread and binds it.
    private func loadInBackground(store: EmbeddingStore, index: any SearchIndex) {
        loading = true
        let options = catalogOptions
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let loaded = Result { try store.read { reader in (try ItemCatalog.load(reader, options: options), try reader.writeSequence()) } }
            lock.lock()
            defer { lock.unlock() }
            loading = false
            switch loaded {
            case .success(let (catalog, sequence)):
                // Not over a catalogue bound since for another store or index (a reload).
                guard bound(for: store, index) != nil else { return }
                if (try? bind(catalog, store: store, index: index, sequence: sequence)) == nil { loadFailed = true }
            case .failure:
                loadFailed = true
            }
        }
    }

    final class Session: RecommendSession {
        let handler: RankingRecommender
        let store: EmbeddingStore
        let index: any SearchIndex
        let retriever: any Retriever
        private var ranker: Ranker?
        private var writeSequence: UInt64 = 0

        init(handler: RankingRecommender, store: EmbeddingStore, index: any SearchIndex, retriever: any Retriever) {
            self.handler = handler
            self.store = store
            self.index = index
            self.retriever = retriever
        }

        func answer(_ query: RankingQuery, reader: StoreReader) throws -> RankedAnswer {
            let sequence = try reader.writeSequence()
            if ranker == nil || sequence > writeSequence {
                let (recommender, bound) = try handler.recommender(store: store, index: index, reader: reader, atLeast: sequence)
                if let ranker, ranker.recommender !== recommender {
                    ranker.rebind(to: recommender)  // a newer catalogue over this session's index
                } else if ranker == nil {
                    ranker = recommender.makeRanker(retriever: retriever)
                }
                writeSequence = bound
            }
            let result = try ranker!.rank(reader, try Self.request(query))
            let items = result.items.map { r in
                RankedItem(row: r.row, score: r.score, reason: query.explain ? (r.explanation?.summary ?? "no reason available") : nil,
                           annScore: r.annScore.map { query.metric.displayScore($0) })
            }
            return RankedAnswer(items: items, querySource: result.querySource.rawValue)
        }

        /// The server's query as a `RankRequest` (the request's filter rows travel as `filters.rows`).
        static func request(_ query: RankingQuery) throws -> RankRequest {
            let target: RankRequest.Target
            switch query.subject {
            case .user(_, let id): target = .user(id)
            case .item(_, let id): target = .item(id)
            case .vector(let v): target = .vector(v)
            }
            var r = RankRequest(target: target, user: query.user?.id, k: query.k, candidates: query.parameters.k,
                                explain: query.explain, ef: query.parameters.ef, nprobe: query.parameters.nprobe)
            r.filters = RankFilters(excludeSeen: !query.includeSeen, rows: query.filter)
            r.context = RequestContext(time: query.time, utcOffsetSeconds: query.utcOffsetSeconds, values: query.context,
                                       sessionItems: query.sessionItems, sessionWeight: query.sessionWeight ?? 0.5)
            if let mmr = query.mmr {
                let similarity: MMROptions.Similarity
                switch mmr.similarity {
                case .cosine: similarity = .cosine
                case .jaccard: similarity = .jaccard
                }
                r.mmr = MMROptions(lambda: mmr.lambda, similarity: similarity, poolFactor: mmr.poolFactor ?? 0)
            } else {
                r.mmr = MMROptions(lambda: 1)
            }
            r.rules = BusinessRules(minScore: query.minScore, categoryCap: query.categoryCap)
            return r
        }
    }
}
