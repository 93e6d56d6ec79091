import Store
import VectorIndex

/// The shared, immutable half of the pipeline: the item catalogue, the search index and the
/// bound scoring model. Each worker thread asks it for a `Ranker` (its scratch space).
public final class Recommender: Sendable {
    public let catalog: ItemCatalog
    public let index: any SearchIndex
    public let scorer: Scorer
    /// How many of the user's latest distinct history items feed the similarity features,
    /// the history-mean query vector and the explanations.
    public let historyWindow: Int

    public init(catalog: ItemCatalog, index: any SearchIndex, model: RankingModel = .default, modelPath: String = "(model)",
                historyWindow: Int = 20) throws {
        guard index.dimension == catalog.dimension else {
            throw RankingError.index(.dimensionMismatch(expected: catalog.dimension, got: index.dimension))
        }
        guard historyWindow >= 1 else { throw RankingError.invalidRequest(field: "historyWindow", reason: "\(historyWindow): expected at least 1") }
        self.catalog = catalog
        self.index = index
        scorer = try Scorer(model: model, catalog: catalog, path: modelPath)
        self.historyWindow = historyWindow
    }

    /// Loads the catalogue from one snapshot of `store` and opens its index (`kind`, or the
    /// best one built).
    public convenience init(store: EmbeddingStore, model: RankingModel = .default, modelPath: String = "(model)",
                            indexKind: IndexKind? = nil, options: ItemCatalog.Options = ItemCatalog.Options(),
                            historyWindow: Int = 20) throws {
        let catalog = try RankingError.wrap { try store.read { try ItemCatalog.load($0, options: options) } }
        let index = try RankingError.wrap { try IndexCatalog.open(store, kind: indexKind) }
        try self.init(catalog: catalog, index: index, model: model, modelPath: modelPath, historyWindow: historyWindow)
    }

    /// The same catalogue and index with another model.
    public func with(model: RankingModel, modelPath: String = "(model)") throws -> Recommender {
        try Recommender(catalog: catalog, index: index, model: model, modelPath: modelPath, historyWindow: historyWindow)
    }

    /// Scratch for one worker: not thread-safe, reused across requests.
    public func makeRanker() -> Ranker { Ranker(recommender: self, retriever: index.makeRetriever()) }

    /// Scratch for one worker that searches through `retriever` (made by this recommender's
    /// index: a server worker passes the retriever it already owns).
    public func makeRanker(retriever: any Retriever) -> Ranker { Ranker(recommender: self, retriever: retriever) }
}
