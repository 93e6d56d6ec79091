import Store
import VectorMath

/// What the ranking stage needs of a store's items, loaded once per store snapshot and shared
/// by all workers (immutable): feature columns as arrays indexed by item row, label postings
/// for filters, popularity and the popularity order for cold start. A server reloads it when
/// the store's `writeSequence` moves.
public final class ItemCatalog: Sendable {
    /// Which columns play which role. Nil picks by name and kind (see `ItemCatalog.load`).
    public struct Options: Sendable, Equatable {
        /// Categorical or multi-categorical item column used by category filters, affinity,
        /// caps and Jaccard similarity (default: `categories`, else `category`, else the first one).
        public var categoryColumn: String?
        /// Numeric item column holding popularity (default: `popularity`; without one,
        /// popularity is derived from how often items appear in user histories).
        public var popularityColumn: String?
        /// Timestamp item column holding the release time (default: `released`, else the first one).
        public var releaseColumn: String?
        /// An item is "new" for this many days after release (`item.newness`, `user.new_item_taste`).
        public var newItemDays: Double

        public init(categoryColumn: String? = nil, popularityColumn: String? = nil, releaseColumn: String? = nil,
                    newItemDays: Double = 30) {
            self.categoryColumn = categoryColumn
            self.popularityColumn = popularityColumn
            self.releaseColumn = releaseColumn
            self.newItemDays = newItemDays
        }
    }

    /// One numeric column: its values by item row, NaN where an item has none.
    public struct NumericColumn: Sendable {
        public let column: FeatureColumn
        public let values: ChunkedArray<Float>
    }

    public let options: Options
    public let itemCount: Int
    public let userCount: Int
    public let dimension: Int
    public let metric: Metric
    public let vectorsPerBlock: Int
    /// The store's write sequence when this was loaded.
    public let writeSequence: UInt64
    public let itemColumns: [FeatureColumn]
    public let userColumns: [FeatureColumn]
    /// The column of `Options.categoryColumn`, indexed; nil when items have no categorical column.
    public let categories: CategoryIndex?
    /// Every categorical item column, indexed (by column name).
    public let labelIndexes: [String: CategoryIndex]
    /// Numeric item columns except the popularity column.
    public let numericColumns: [NumericColumn]
    /// Release times by row (`HistoryEntry.unknownTime` where unknown); nil without a release column.
    public let released: ChunkedArray<Int64>?
    /// Popularity by row (the popularity column, or the normalised log of history counts).
    public let popularity: ChunkedArray<Float>
    /// The column popularity came from; nil when derived from histories.
    public let popularityColumn: String?
    /// Item rows by popularity, most popular first (ties by row).
    public let popularOrder: PopularityOrder
    /// History entries per item row, when popularity is derived from histories (nil with a
    /// popularity column): kept so that `updated` can add a write's new entries.
    let historyCounts: ChunkedArray<Int32>?
    /// The largest of `historyCounts` (0 without them): a write that adds entries compares
    /// with it instead of scanning every count.
    let historyMax: Int32
    /// Label codes of categorical user columns, by column name.
    public let userLabels: [String: [String: UInt32]]

    init(options: Options, itemCount: Int, userCount: Int, meta: StoreMeta, writeSequence: UInt64,
         itemColumns: [FeatureColumn], userColumns: [FeatureColumn], categories: CategoryIndex?,
         labelIndexes: [String: CategoryIndex], numericColumns: [NumericColumn], released: ChunkedArray<Int64>?,
         popularity: ChunkedArray<Float>, popularityColumn: String?, historyCounts: ChunkedArray<Int32>?,
         historyMax: Int32? = nil, userLabels: [String: [String: UInt32]], popularOrder: PopularityOrder? = nil) {
        self.options = options
        self.itemCount = itemCount
        self.userCount = userCount
        dimension = meta.dimension
        metric = meta.metric
        vectorsPerBlock = meta.vectorsPerBlock
        self.writeSequence = writeSequence
        self.itemColumns = itemColumns
        self.userColumns = userColumns
        self.categories = categories
        self.labelIndexes = labelIndexes
        self.numericColumns = numericColumns
        self.released = released
        self.popularity = popularity
        self.popularityColumn = popularityColumn
        self.historyCounts = historyCounts
        self.historyMax = historyMax ?? historyCounts?.max() ?? 0
        self.userLabels = userLabels
        self.popularOrder = popularOrder ?? PopularityOrder(Self.popularOrder(popularity))
    }

    /// Every row by `morePopular`.
    static func popularOrder(_ popularity: ChunkedArray<Float>) -> [UInt32] {
        (0 ..< UInt32(popularity.count)).sorted { morePopular($0, $1, popularity) }
    }

    /// The order of `popularOrder`: higher popularity first (NaN last), ties by smaller row.
    @inline(__always)
    static func morePopular(_ a: UInt32, _ b: UInt32, _ popularity: ChunkedArray<Float>) -> Bool {
        let pa = popularity[Int(a)].isNaN ? -Float.infinity : popularity[Int(a)]
        let pb = popularity[Int(b)].isNaN ? -Float.infinity : popularity[Int(b)]
        return pa != pb ? pa > pb : a < b
    }

    /// Numeric user columns (the ones that become `user.<name>` features).
    public var numericUserColumns: [FeatureColumn] { userColumns.filter { $0.kind == .numeric } }

    /// The category codes of `labels` in the category column; an unknown label is an error.
    public func categoryCodes(_ labels: [String]) throws -> [UInt32] {
        guard !labels.isEmpty else { return [] }
        guard let categories else { throw RankingError.noCategoryColumn }
        return try labels.map { label in
            guard let code = categories.code(of: label) else {
                throw RankingError.unknownLabel(column: categories.column.name, label: label)
            }
            return code
        }
    }
}
