/// Parameters of a clustered embedding set that looks like a recommender's item table:
/// Zipf-sized clusters, centres of varied norm, a decaying per-dimension spectrum and
/// items of varied norm (a small share of large-norm items wins most inner-product queries).
public struct ClusteredSpec: Sendable, Equatable {
    /// Number of rows.
    public var count: Int
    /// Values per row.
    public var dimension: Int
    /// Number of mixture components (about `sqrt(count)` by default: 1,000 for 1M rows).
    public var clusters: Int
    /// Cluster of rank r holds a share proportional to `(r + 1)^-zipfExponent` of the rows.
    public var zipfExponent: Double
    /// Deviation of the log of a centre's norm (centre norms are log-normal, median 1).
    public var centreNormSpread: Double
    /// Deviation of the log of each row's own scale factor (log-normal, median 1).
    public var itemNormSpread: Double
    /// Dimension j is scaled by `(j + 1)^-spectrumDecay`, normalised to unit total energy.
    public var spectrumDecay: Double
    /// Within-cluster spread, relative to a centre of norm 1.
    public var noise: Double
    /// Everything follows from this.
    public var seed: UInt64

    public init(count: Int, dimension: Int, clusters: Int? = nil, zipfExponent: Double = 0.8,
                centreNormSpread: Double = 0.3, itemNormSpread: Double = 0.3, spectrumDecay: Double = 0.4,
                noise: Double = 0.7, seed: UInt64) {
        self.count = count
        self.dimension = dimension
        self.clusters = clusters ?? max(1, Int(Double(count).squareRoot().rounded()))
        self.zipfExponent = zipfExponent
        self.centreNormSpread = centreNormSpread
        self.itemNormSpread = itemNormSpread
        self.spectrumDecay = spectrumDecay
        self.noise = noise
        self.seed = seed
    }

    /// Throws `TestSupportError.invalidParameter` naming the first field out of range.
    public func validate() throws {
        try TestSupportError.check(count >= 0, "count", count, ">= 0")
        try TestSupportError.check(dimension > 0, "dimension", dimension, "> 0")
        try TestSupportError.check(clusters > 0, "clusters", clusters, "> 0")
        try TestSupportError.check(zipfExponent >= 0 && zipfExponent.isFinite, "zipfExponent", zipfExponent, "finite, >= 0")
        try TestSupportError.check(centreNormSpread >= 0 && centreNormSpread.isFinite, "centreNormSpread", centreNormSpread, "finite, >= 0")
        try TestSupportError.check(itemNormSpread >= 0 && itemNormSpread.isFinite, "itemNormSpread", itemNormSpread, "finite, >= 0")
        try TestSupportError.check(spectrumDecay >= 0 && spectrumDecay.isFinite, "spectrumDecay", spectrumDecay, "finite, >= 0")
        try TestSupportError.check(noise >= 0 && noise.isFinite, "noise", noise, "finite, >= 0")
    }
}
