/// Size and seed of the recommender demo catalogue (`DemoCatalog`).
public struct DemoCatalogSpec: Sendable, Equatable {
    public var items: Int
    public var users: Int
    public var dimension: Int
    /// Number of item categories (`c0`, `c1`, ...).
    public var categories: Int
    /// Mean number of interactions per user (activity varies log-normally around it).
    public var historyMean: Int
    /// Everything follows from this.
    public var seed: UInt64
    /// Embedding clusters; nil: about `sqrt(items)`, at least `categories`.
    public var clusters: Int?
    /// Share of each user's latest interactions held out as the test split.
    public var testFraction: Double
    /// Items are released over `releaseDays` days from `epochBase` (seconds since 1970);
    /// interactions happen in the last `historyDays` of that span.
    public var epochBase: Int64
    public var releaseDays: Int
    public var historyDays: Int

    public init(items: Int = 100_000, users: Int = 10_000, dimension: Int = 64, categories: Int = 50,
                historyMean: Int = 30, seed: UInt64 = 42, clusters: Int? = nil, testFraction: Double = 0.2,
                epochBase: Int64 = 1_700_000_000, releaseDays: Int = 730, historyDays: Int = 365) {
        self.items = items
        self.users = users
        self.dimension = dimension
        self.categories = categories
        self.historyMean = historyMean
        self.seed = seed
        self.clusters = clusters
        self.testFraction = testFraction
        self.epochBase = epochBase
        self.releaseDays = releaseDays
        self.historyDays = historyDays
    }

    /// The embedding cluster count actually used.
    public var effectiveClusters: Int {
        clusters ?? max(categories, Int(Double(items).squareRoot().rounded()))
    }

    /// Throws `TestSupportError.invalidParameter` naming the first field out of range.
    public func validate() throws {
        try TestSupportError.check(items > 0, "items", items, "> 0")
        try TestSupportError.check(users >= 0, "users", users, ">= 0")
        try TestSupportError.check(dimension > 0, "dimension", dimension, "> 0")
        try TestSupportError.check(categories > 0, "categories", categories, "> 0")
        try TestSupportError.check(historyMean > 0, "historyMean", historyMean, "> 0")
        try TestSupportError.check(effectiveClusters > 0, "clusters", effectiveClusters, "> 0")
        try TestSupportError.check(testFraction >= 0 && testFraction < 1, "testFraction", testFraction, "in [0, 1)")
        try TestSupportError.check(releaseDays > 0, "releaseDays", releaseDays, "> 0")
        try TestSupportError.check(historyDays > 0 && historyDays <= releaseDays, "historyDays", historyDays,
                                   "in 1...releaseDays (\(releaseDays))")
    }
}
