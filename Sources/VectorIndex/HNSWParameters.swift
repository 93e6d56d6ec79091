import VectorMath

/// How an HNSW graph is built and searched.
public struct HNSWParameters: Sendable, Equatable {
    /// Neighbours per node on the upper levels; level 0 keeps `2 * m`.
    public var m: Int = 16
    public var efConstruction: Int = 200
    /// Default candidate list size at query time (`SearchParameters.ef` overrides it).
    public var efSearch: Int = 64
    /// Seed of the level draws: the same seed and data give the same graph (single-threaded).
    public var seed: UInt64 = 42
    /// Inner product only: the share of items with the largest norms that every query scans
    /// exactly instead of reaching them through the graph (they dominate inner-product top-k).
    public var headFraction: Double = 0.01
    /// Inner product only: link the graph by angle (cosine of item vectors) instead of by the
    /// inner product itself. Measured worse (searching an angular graph greedily by inner
    /// product loses the large-norm answers): off by default, kept for experiments.
    public var angularGraph: Bool = false
    /// Walk the graph on int8 codes of the vectors (one byte per component, per-dimension
    /// ranges) and re-score the final `ef` candidates in float32: a quarter of the memory
    /// traffic per distance. The graph itself is built on float32.
    public var int8: Bool = false
    /// End the build by linking the rows that a level-0 walk from the entry point cannot reach
    /// (`HNSWGraph.linkUnreachable`): without it, inner-product graphs leave most small-norm
    /// rows unreachable (never returned, whatever ef). The links are repair links that only
    /// wide searches follow (`followsRepairs`): narrow ones answer as without them. Off by
    /// default: at 1M on 2 cores it cost 85% more build time, for recall@500 0.57 -> 0.75
    /// (bench/RESULTS.md, "HNSW reachability").
    public var linkUnreachable: Bool = false

    public init() {}

    /// Whether a walk for `k` results with candidate list `ef` follows the links that
    /// `linkUnreachable` added: only for wide searches (k in the hundreds, as when a ranking
    /// stage retrieves candidates, or a large `ef`), which need the rows they reach; a top-10
    /// walk with a small `ef` skips them and costs what it costs without them.
    public static func followsRepairs(k: Int, ef: Int) -> Bool { k >= wideK || ef >= wideEf }
    static let wideK = 100, wideEf = 256
    /// `followsRepairs` in words, for messages.
    public static let repairRule = "k >= \(wideK) or ef >= \(wideEf)"

    public var m0: Int { 2 * m }
}

/// Similarity used to link the graph (higher is closer).
enum LinkMode: UInt8 {
    case innerProduct = 1
    case angular = 2
    case l2 = 3

    init(metric: Metric, parameters: HNSWParameters) {
        switch metric {
        case .l2: self = .l2
        case .cosine: self = .innerProduct  // stored vectors are unit length: dot is the cosine
        case .innerProduct: self = parameters.angularGraph ? .angular : .innerProduct
        }
    }
}
