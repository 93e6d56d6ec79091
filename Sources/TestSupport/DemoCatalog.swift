import Foundation
import Store

/// The recommender demo: items with embeddings and features, users with embeddings, taste and
/// activity, and interaction histories split by time into train and test. Everything follows
/// from `spec.seed`; generation runs on all cores and gives the same bytes whatever their number.
///
/// Items: clustered embeddings (`ClusteredEmbeddings`); each cluster maps to a primary category
/// and two related ones, an item has 1-3 categories (primary first). Popularity is a Zipf-like
/// rank correlated with the embedding norm. Users: a mix of 1-3 taste clusters (popular clusters
/// are chosen more often) plus noise. Histories: see `DemoCatalog+Histories.swift`.
public struct DemoCatalog: Sendable {
    /// One interaction; `user` and `item` are row numbers (see `itemID(_:)`, `userID(_:)`).
    public struct Interaction: Sendable, Hashable {
        public var user: Int32
        public var item: Int32
        /// Seconds since 1970-01-01T00:00:00Z.
        public var timestamp: Int64

        public init(user: Int32, item: Int32, timestamp: Int64) {
            self.user = user
            self.item = item
            self.timestamp = timestamp
        }
    }

    public let spec: DemoCatalogSpec
    /// The mixture the item vectors come from (centres, cluster shares).
    public let model: ClusteredEmbeddings

    /// `items x dimension`, row-major.
    public let itemVectors: [Float]
    public let itemClusters: [UInt32]
    /// Category numbers of each item, primary first (1 to 3 of them).
    public let itemCategories: [[Int]]
    /// In [0, 1]: 1 for the most popular item, falling with the log of the rank.
    public let itemPopularity: [Double]
    /// 0 for the most popular item.
    public let itemPopularityRank: [Int]
    /// Release time, seconds since 1970.
    public let itemReleased: [Int64]
    public let itemPrice: [Double]

    /// `users x dimension`, row-major.
    public let userVectors: [Float]
    /// The 1-3 clusters each user's taste mixes, strongest first.
    public let userTasteClusters: [[Int]]
    /// Category numbers each user favours (primary categories of the taste clusters, maybe one more).
    public let userCategoryTastes: [[Int]]
    /// In (0, 1): how active the user is (longer histories when higher).
    public let userActivity: [Double]
    /// 0...4: activity band (`s0` least active).
    public let userSegment: [Int]
    /// Hour of day (UTC, 0..<24) around which the user is active (see `DemoCatalog+Histories.swift`).
    public let userActiveHour: [Double]

    /// Interactions before each user's split point, by user, then time.
    public let train: [Interaction]
    /// The last `testFraction` of each user's interactions, by user, then time.
    public let test: [Interaction]

    /// Generates the whole catalogue. Throws `TestSupportError.invalidParameter` for a bad spec.
    public init(spec: DemoCatalogSpec) throws {
        try spec.validate()
        self.spec = spec
        let clustered = ClusteredSpec(count: spec.items, dimension: spec.dimension, clusters: spec.effectiveClusters,
                                      seed: Self.subSeed(spec.seed, .embeddings))
        model = try ClusteredEmbeddings(spec: clustered)
        let items = Self.makeItems(spec, model)
        itemVectors = items.vectors
        itemClusters = items.clusters
        itemCategories = items.categories
        itemPopularity = items.popularity
        itemPopularityRank = items.rank
        itemReleased = items.released
        itemPrice = items.price
        let users = Self.makeUsers(spec, model, items)
        userVectors = users.vectors
        userTasteClusters = users.tastes
        userCategoryTastes = users.categoryTastes
        userActivity = users.activity
        userSegment = users.segment
        userActiveHour = users.activeHour
        (train, test) = Self.makeHistories(spec, items, users)
    }

    /// External id of item row `i`: the number `1_000_000 + i`.
    public static func itemID(_ i: Int) -> ExternalID { .number(UInt64(1_000_000 + i)) }
    /// External id of user row `u`: the string `"u<u>"`.
    public static func userID(_ u: Int) -> ExternalID { .string("u\(u)") }
    /// Name of category `c`: `"c<c>"`.
    public static func categoryName(_ c: Int) -> String { "c\(c)" }
    /// Name of segment `s`: `"s<s>"`.
    public static func segmentName(_ s: Int) -> String { "s\(s)" }

    /// Independent sub-seeds for the parts of the catalogue.
    enum Part: UInt64 {
        case embeddings = 1, categories, items, users, histories
    }

    static func subSeed(_ seed: UInt64, _ part: Part) -> UInt64 {
        var rng = SeededRandom(seed: seed, stream: part.rawValue)
        return rng.next()
    }

    static let secondsPerDay: Int64 = 86_400
}

extension DemoCatalog {
    struct ItemTable {
        var vectors: [Float]
        var clusters: [UInt32]
        var categories: [[Int]]
        var popularity: [Double]
        var rank: [Int]
        /// Item rows, most popular first.
        var byRank: [Int]
        var released: [Int64]
        var price: [Double]
    }

    struct UserTable {
        var vectors: [Float]
        var tastes: [[Int]]
        var categoryTastes: [[Int]]
        var activity: [Double]
        var segment: [Int]
        var historyLength: [Int]
        var activeHour: [Double]
    }

    static func makeItems(_ spec: DemoCatalogSpec, _ model: ClusteredEmbeddings) -> ItemTable {
        let n = spec.items
        let d = spec.dimension
        var vectors = [Float](repeating: 0, count: n * d)
        var clusters = [UInt32](repeating: 0, count: n)
        vectors.withUnsafeMutableBufferPointer { v in
            clusters.withUnsafeMutableBufferPointer { c in model.generate(rows: 0..<n, into: v, clusters: c) }
        }

        // Clusters to categories: every category gets a cluster when there are enough clusters.
        let k = model.spec.clusters
        let c = spec.categories
        var rng = SeededRandom(seed: subSeed(spec.seed, .categories))
        var order = Array(0..<k)
        rng.shuffle(&order)
        var primary = [Int](repeating: 0, count: k)
        for (i, cluster) in order.enumerated() { primary[cluster] = i % c }
        let related = (0..<k).map { _ in [rng.next(below: c), rng.next(below: c)] }
        let logPrice = (0..<c).map { _ in log(5.0) + rng.nextDouble() * (log(300.0) - log(5.0)) }

        var categories = [[Int]]()
        var released = [Int64]()
        var price = [Double]()
        var latent = [Double]()
        categories.reserveCapacity(n)
        released.reserveCapacity(n)
        price.reserveCapacity(n)
        latent.reserveCapacity(n)
        let itemSeed = subSeed(spec.seed, .items)
        let releaseSpan = Double(Int64(spec.releaseDays) * secondsPerDay)
        let logNorms = (0..<n).map { i -> Double in
            vectors.withUnsafeBufferPointer { v in
                let row = v.baseAddress! + i * d
                return 0.5 * log(max(Double(GroundTruth.dotProduct(row, row, d)), 1e-30))
            }
        }
        let mean = logNorms.reduce(0, +) / Double(n)
        let deviation = max((logNorms.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)).squareRoot(), 1e-12)
        for i in 0..<n {
            var r = SeededRandom(seed: itemSeed, stream: UInt64(i))
            let cluster = Int(clusters[i])
            var cats = [primary[cluster]]
            let u = r.nextDouble()
            let extra = u < 0.5 ? 0 : (u < 0.85 ? 1 : 2)
            for _ in 0..<extra {
                let candidate = r.nextBool(probability: 0.75) ? related[cluster][r.next(below: 2)] : r.next(below: c)
                if !cats.contains(candidate) { cats.append(candidate) }
            }
            categories.append(cats)
            released.append(spec.epochBase + Int64(r.nextDouble() * releaseSpan))
            let p = exp(logPrice[cats[0]] + 0.4 * r.nextGaussian())
            price.append(max(0, p.rounded(.down)) + 0.99)
            latent.append((logNorms[i] - mean) / deviation + 0.6 * r.nextGaussian())
        }

        let byRank = (0..<n).sorted { latent[$0] != latent[$1] ? latent[$0] > latent[$1] : $0 < $1 }
        var rank = [Int](repeating: 0, count: n)
        for (position, item) in byRank.enumerated() { rank[item] = position }
        let logCount = log(Double(n + 1))
        let popularity = rank.map { 1 - log(Double($0 + 1)) / logCount }
        return ItemTable(vectors: vectors, clusters: clusters, categories: categories, popularity: popularity,
                         rank: rank, byRank: byRank, released: released, price: price)
    }

    static func makeUsers(_ spec: DemoCatalogSpec, _ model: ClusteredEmbeddings, _ items: ItemTable) -> UserTable {
        let d = spec.dimension
        let userSeed = subSeed(spec.seed, .users)
        // Unit-length cluster directions and the primary category of each cluster.
        var directions = model.centres
        for k in 0..<model.spec.clusters {
            let norm = directions.withUnsafeBufferPointer { c in
                Double(GroundTruth.dotProduct(c.baseAddress! + k * d, c.baseAddress! + k * d, d)).squareRoot()
            }
            for j in 0..<d { directions[k * d + j] = Float(Double(directions[k * d + j]) / max(norm, 1e-30)) }
        }
        var clusterCategory = [Int](repeating: 0, count: model.spec.clusters)
        for i in 0..<spec.items { clusterCategory[Int(items.clusters[i])] = items.categories[i][0] }

        var table = UserTable(vectors: [Float](repeating: 0, count: spec.users * d), tastes: [], categoryTastes: [],
                              activity: [], segment: [], historyLength: [], activeHour: [])
        var vector = [Double](repeating: 0, count: d)
        for user in 0..<spec.users {
            var r = SeededRandom(seed: userSeed, stream: UInt64(user))
            let u = r.nextDouble()
            let tasteCount = min(model.spec.clusters, u < 0.5 ? 1 : (u < 0.8 ? 2 : 3))
            var tastes: [Int] = []
            while tastes.count < tasteCount {
                let k = model.picker.sample(using: &r)
                if !tastes.contains(k) { tastes.append(k) }
            }
            let strengths = [1.0, 0.6, 0.4].prefix(tasteCount).map { $0 * (0.75 + 0.5 * r.nextDouble()) }
            for j in 0..<d { vector[j] = 0.3 * Double(model.dimensionScales[j]) * r.nextGaussian() }
            for (t, k) in tastes.enumerated() {
                for j in 0..<d { vector[j] += strengths[t] * Double(directions[k * d + j]) }
            }
            for j in 0..<d { table.vectors[user * d + j] = Float(vector[j]) }

            var categoryTastes: [Int] = []
            for k in tastes where !categoryTastes.contains(clusterCategory[k]) { categoryTastes.append(clusterCategory[k]) }
            if r.nextBool(probability: 0.3) {
                let extra = r.next(below: spec.categories)
                if !categoryTastes.contains(extra) { categoryTastes.append(extra) }
            }
            let multiplier = r.nextLogNormal(sigma: 0.6) * exp(-0.18)
            let length = Int((Double(spec.historyMean) * multiplier).rounded())
            table.tastes.append(tastes)
            table.categoryTastes.append(categoryTastes)
            table.activity.append(multiplier / (1 + multiplier))
            table.segment.append(min(4, Int(multiplier / (1 + multiplier) * 5)))
            table.historyLength.append(min(max(3, length), 10 * spec.historyMean))
            // Morning, midday or evening people (drawn last: the draws above are unchanged).
            let peaks = [8.0, 12.5, 20.5]
            table.activeHour.append((peaks[r.next(below: 3)] + 1.5 * r.nextGaussian() + 24).truncatingRemainder(dividingBy: 24))
        }
        return table
    }
}
