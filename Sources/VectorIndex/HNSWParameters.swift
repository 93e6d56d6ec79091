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
    /// Inner product only: what the graph's links are chosen by (searches always walk by
    /// inner product). See `HNSWLinks`: augmented by default since 2026-11-26 (same or better
    /// top-10 recall, higher recall@500, fewer unreachable rows than `.metric` on every data set
    /// measured: bench/RESULTS.md "Links by the MIPS-to-L2 reduction").
    public var links: HNSWLinks = .augmented
    /// Augmented links: R is the norm at this quantile of the items' norms (1: the largest).
    /// Rows longer than R link by plain inner product. A lower R weighs direction more against
    /// norm: 0.75 kept top-10 recall and raised recall@500 on both generators measured, 0.9 and
    /// up traded top-10 recall for more recall@500 (bench/RESULTS.md "HNSW links by the
    /// MIPS-to-L2 reduction").
    public var augmentQuantile: Double = 0.75
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
    /// With `linkUnreachable` on inner product (and cosine): after the repair pass, up to this
    /// many more repair-flagged links per row into free level-0 slots, chosen from the row's
    /// two-hop neighbourhood by the textbook MIPS-to-L2 reduction (R the largest norm;
    /// `HNSWGraph.addWideLinks`). Only wide searches follow them. 0: none. At 1M: recall@500 at
    /// ef 500 0.789 -> 0.805, about 10 s of a 1M build (bench/RESULTS.md "Wide links").
    public var wideLinks: Int = 8

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

/// What an inner-product graph's links are chosen by (stored as the `angular` byte of
/// `hnsw_meta`). Searches walk by inner product whichever it is; only the build differs.
public enum HNSWLinks: UInt8, Sendable, CaseIterable {
    /// The inner product itself (with the exact head of the largest-norm rows).
    case metric = 0
    /// The angle between items (cosine). Measured worse: searching an angular graph greedily
    /// by inner product loses the large-norm answers. Kept for experiments.
    case angle = 1
    /// The norm-augmenting reduction of inner product to a distance: each item x gets one more
    /// component sqrt(R^2 - |x|^2) (R: `HNSWParameters.augmentQuantile`; longer items get 0),
    /// and links are chosen by the inner product of those augmented vectors (equivalently, L2
    /// between them). A query's extra component is 0, so a walk by inner product is a walk by
    /// that L2. The default: same or better top-10 recall than `.metric`, fewer unreachable
    /// rows, recall@500 0.748 -> 0.789 at 1M with repair links (bench/RESULTS.md "HNSW links by
    /// the MIPS-to-L2 reduction"). With R the largest norm it is the textbook reduction, which
    /// measured far worse (top-10 recall 0.97 -> 0.67 at 200k).
    case augmented = 2

    /// The name `annctl build --links` takes and summaries print: the case's own name.
    public var name: String { String(describing: self) }
}

/// Similarity used to link the graph (higher is closer).
enum LinkMode: UInt8 {
    case innerProduct = 1
    case angular = 2
    case l2 = 3
    case augmented = 4

    init(metric: Metric, parameters: HNSWParameters) {
        switch metric {
        case .l2: self = .l2
        case .cosine: self = .innerProduct  // stored vectors are unit length: dot is the cosine
        case .innerProduct:
            switch parameters.links {
            case .metric: self = .innerProduct
            case .angle: self = .angular
            case .augmented: self = .augmented
            }
        }
    }

    /// Whether the scorer needs a per-row value (1/|x| for angle, the augmenting component).
    var hasRowTerms: Bool { self == .angular || self == .augmented }
}
