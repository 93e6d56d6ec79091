/// Per-query knobs. Each index reads the ones it knows and ignores the others.
public struct SearchParameters: Sendable, Equatable {
    /// Results wanted.
    public var k: Int
    /// HNSW: size of the dynamic candidate list (nil: the index's default).
    public var ef: Int?
    /// IVF: lists probed (nil: the index's default).
    public var nprobe: Int?

    public init(k: Int, ef: Int? = nil, nprobe: Int? = nil) {
        self.k = k
        self.ef = ef
        self.nprobe = nprobe
    }
}

/// The kinds of index a store can hold. Raw values are the names on the command line and in
/// the protocol.
public enum IndexKind: String, Sendable, CaseIterable {
    case flat
    case hnsw
    case ivf
}
