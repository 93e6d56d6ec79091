import VectorMath

/// What a store holds, fixed when it is initialised (format version 1).
public struct StoreMeta: Sendable, Equatable {
    public var formatVersion: UInt32
    public var dimension: Int
    public var metric: Metric
    public var vectorsPerBlock: Int

    public init(dimension: Int, metric: Metric) {
        self.formatVersion = StoreLayout.formatVersion
        self.dimension = dimension
        self.metric = metric
        self.vectorsPerBlock = StoreLayout.vectorsPerBlock(dimension: dimension)
    }

    /// Bytes of one vector block.
    public var blockBytes: Int { vectorsPerBlock * dimension * 4 }
}

/// Row counts as of one snapshot.
public struct StoreCounts: Sendable, Equatable {
    /// Internal ids assigned (rows), per entity.
    public var items: Int = 0
    public var users: Int = 0
    /// Rows that hold a vector.
    public var itemVectors: Int = 0
    public var userVectors: Int = 0
    /// Bumped by every committed write: a reader compares it to know when to renew.
    public var writeSequence: UInt64 = 0

    public init() {}

    public func rows(_ e: Entity) -> Int { e == .item ? items : users }
    public func vectors(_ e: Entity) -> Int { e == .item ? itemVectors : userVectors }

    mutating func setRows(_ e: Entity, _ n: Int) { if e == .item { items = n } else { users = n } }
    mutating func setVectors(_ e: Entity, _ n: Int) { if e == .item { itemVectors = n } else { userVectors = n } }
}

/// What a caller expects of a store it opens; nil means "whatever it holds".
public struct StoreExpectation: Sendable {
    public var dimension: Int?
    public var metric: Metric?

    public init(dimension: Int? = nil, metric: Metric? = nil) {
        self.dimension = dimension
        self.metric = metric
    }

    func check(_ meta: StoreMeta) throws {
        if let d = dimension, d != meta.dimension { throw StoreError.dimensionMismatch(expected: meta.dimension, got: d) }
        if let m = metric, m != meta.metric { throw StoreError.metricMismatch(expected: meta.metric, got: m) }
    }
}
