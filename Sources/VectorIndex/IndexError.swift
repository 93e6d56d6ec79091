import Store

/// Errors of the index layer.
public enum IndexError: Error, Equatable, Sendable, CustomStringConvertible {
    case dimensionMismatch(expected: Int, got: Int)
    case invalidK(Int)
    case queryCountMismatch(floats: Int, dimension: Int)
    case noVector(Entity, ExternalID)
    case store(StoreError)
    case notBuilt(IndexKind)
    case stale(indexRows: Int, storeRows: Int)
    case invalidParameter(name: String, value: String, expected: String)
    case corruptIndex(table: String, reason: String)
    case layoutVersionMismatch(IndexKind, expected: UInt32, got: UInt32)
    /// The snapshot holds another build of the index than the one loaded (reload it).
    case indexChanged(IndexKind, expectedBuild: UInt64, got: UInt64)
    /// Another write changed the store between the read and the write phase of a build.
    case storeChangedDuringBuild(IndexKind, expectedSequence: UInt64, got: UInt64)

    public var description: String {
        switch self {
        case let .dimensionMismatch(expected, got): return "query dimension mismatch: the index holds \(expected)-d vectors, got \(got)-d"
        case let .invalidK(k): return "invalid k \(k): expected 1...100000"
        case let .queryCountMismatch(floats, dimension):
            return "query buffer of \(floats) floats is not a whole number of \(dimension)-d vectors"
        case let .noVector(entity, id): return "\(entity) '\(id)' has no embedding"
        case let .store(error): return error.description
        case let .stale(indexRows, storeRows):
            return "the index covers \(indexRows) items but the store holds \(storeRows): rebuild it (annctl build) or add items through the index"
        case let .notBuilt(kind): return "no \(kind.rawValue) index is built in this store (annctl build --index \(kind.rawValue))"
        case let .invalidParameter(name, value, expected): return "invalid \(name) \(value): expected \(expected)"
        case let .corruptIndex(table, reason): return "corrupt index table \(table): \(reason)"
        case let .layoutVersionMismatch(kind, expected, got):
            return "the \(kind.rawValue) index has layout version \(got); this build reads version \(expected) (rebuild it)"
        case let .indexChanged(kind, expectedBuild, got):
            return "the \(kind.rawValue) index was rebuilt (build \(got), loaded build \(expectedBuild)): reopen it"
        case let .storeChangedDuringBuild(kind, expected, got):
            return "the store changed while the \(kind.rawValue) index was built (write sequence \(got), expected \(expected)): build again"
        }
    }
}
