/// A feature column as declared in the store: its dense number per entity and its kind, fixed
/// when the column is first written.
public struct FeatureColumn: Sendable, Equatable {
    public let entity: Entity
    public let name: String
    public let number: UInt16
    public let kind: FeatureKind
    /// Distinct labels seen so far (categorical kinds); codes are 0 ..< labelCount.
    public var labelCount: UInt32

    /// Value bytes in `feature_columns`: number u16, kind u8, label count u32 (little-endian).
    func encodedValue() -> [UInt8] {
        KeyCodec.encode(number) + [kind.rawValue] + KeyCodec.encode(labelCount)
    }

    init(entity: Entity, name: String, number: UInt16, kind: FeatureKind, labelCount: UInt32) {
        self.entity = entity
        self.name = name
        self.number = number
        self.kind = kind
        self.labelCount = labelCount
    }

    init?(entity: Entity, name: String, value: UnsafeRawBufferPointer) {
        guard value.count == 7, let kind = FeatureKind(rawValue: value[2]) else { return nil }
        self.init(entity: entity, name: name,
                  number: UInt16(littleEndian: value.loadUnaligned(as: UInt16.self)), kind: kind,
                  labelCount: UInt32(littleEndian: value.loadUnaligned(fromByteOffset: 3, as: UInt32.self)))
    }
}

/// A feature value as stored: categorical labels replaced by their per-column codes.
public enum StoredFeature: Equatable, Sendable {
    case categorical(UInt32)
    case multiCategorical([UInt32])
    case numeric(Double)
    case timestamp(Int64)

    /// The label codes of a categorical or multi-categorical value (none for other kinds).
    public var labelCodes: [UInt32] {
        switch self {
        case .categorical(let code): return [code]
        case .multiCategorical(let codes): return codes
        case .numeric, .timestamp: return []
        }
    }

    public var kind: FeatureKind {
        switch self {
        case .categorical: return .categorical
        case .multiCategorical: return .multiCategorical
        case .numeric: return .numeric
        case .timestamp: return .timestamp
        }
    }
}
