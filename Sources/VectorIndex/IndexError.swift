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
    case corrupt(String)

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
        case let .corrupt(what): return "corrupt index: \(what)"
        case let .notBuilt(kind): return "no \(kind.rawValue) index is built in this store (annctl build --index \(kind.rawValue))"
        }
    }
}
