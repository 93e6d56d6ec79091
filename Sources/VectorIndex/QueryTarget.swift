import Store

/// What a query asks about: a raw vector, "items like this item", or "items for this user".
/// Resolving it gives the query vector and the rows to leave out of the answer (the item
/// itself; the items in the user's history).
public enum QueryTarget: Sendable, Equatable {
    case vector([Float])
    case item(ExternalID)
    case user(ExternalID)

    public struct Resolved {
        public var vector: [Float]
        public var excluded: Set<UInt32>
    }

    public func resolve(_ reader: StoreReader, excludeSeen: Bool = true) throws -> Resolved {
        do {
            switch self {
            case .vector(let v):
                let dimension = try reader.meta().dimension
                guard v.count == dimension else { throw IndexError.dimensionMismatch(expected: dimension, got: v.count) }
                return Resolved(vector: v, excluded: [])
            case .item(let id):
                let row = try reader.requireRow(of: id, .item)
                guard let v = try reader.vector(ofRow: row, .item) else { throw IndexError.noVector(.item, id) }
                return Resolved(vector: v, excluded: [row])
            case .user(let id):
                let row = try reader.requireRow(of: id, .user)
                guard let v = try reader.vector(ofRow: row, .user) else { throw IndexError.noVector(.user, id) }
                let seen = excludeSeen ? Set(try reader.withHistory(ofUser: row) { $0.items }) : []
                return Resolved(vector: v, excluded: seen)
            }
        } catch let error as StoreError {
            throw IndexError.store(error)
        }
    }
}
