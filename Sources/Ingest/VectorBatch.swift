import Store

/// A run of rows read from a vectors file: ids, row-major vectors and where each row came from.
public struct VectorBatch {
    /// Components per vector (0 until the reader knows it).
    public var dimension: Int
    /// One id per row.
    public var ids: [ExternalID]
    /// Row-major, `count * dimension` floats.
    public var vectors: [Float]
    /// One location per row, for error messages downstream (duplicate ids, ...).
    public var locations: [SourceLocation]
    /// Features that rows carried (JSONL only; nil for other formats). Rows without features
    /// have no record.
    public var features: [FeatureRecord]?

    /// Rows in the batch.
    @inlinable
    public var count: Int { ids.count }

    public init(dimension: Int = 0) {
        self.dimension = dimension
        ids = []
        vectors = []
        locations = []
        features = nil
    }

    /// The vector of row `index`.
    @inlinable
    public func vector(at index: Int) -> ArraySlice<Float> {
        vectors[index * dimension ..< (index + 1) * dimension]
    }

    /// Empties the batch; `dimension` stays.
    @inlinable
    public mutating func removeAll(keepingCapacity: Bool = true) {
        ids.removeAll(keepingCapacity: keepingCapacity)
        vectors.removeAll(keepingCapacity: keepingCapacity)
        locations.removeAll(keepingCapacity: keepingCapacity)
        if features != nil { features!.removeAll(keepingCapacity: keepingCapacity) }
    }
}
