/// The type of a feature column. Codes are frozen: they are stored in the column schema.
public enum FeatureKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// One label out of many ("shoes").
    case categorical = 1
    /// Several labels ("action|comedy").
    case multiCategorical = 2
    /// A number (price, average rating).
    case numeric = 3
    /// A point in time, stored as seconds since 1970-01-01T00:00:00Z.
    case timestamp = 4

    public var description: String {
        switch self {
        case .categorical: return "categorical"
        case .multiCategorical: return "multi-categorical"
        case .numeric: return "numeric"
        case .timestamp: return "timestamp"
        }
    }

    /// Short names accepted in CSV headers (`price:num`) and on the command line.
    public init?(name: String) {
        switch name.lowercased() {
        case "cat", "categorical": self = .categorical
        case "multi", "multi-categorical", "tags": self = .multiCategorical
        case "num", "numeric", "number": self = .numeric
        case "time", "timestamp", "ts": self = .timestamp
        default: return nil
        }
    }
}

/// One feature value as read from a file, before categorical labels are turned into codes.
public enum FeatureValue: Equatable, Sendable {
    case categorical(String)
    case multiCategorical([String])
    case numeric(Double)
    /// Seconds since the Unix epoch.
    case timestamp(Int64)

    public var kind: FeatureKind {
        switch self {
        case .categorical: return .categorical
        case .multiCategorical: return .multiCategorical
        case .numeric: return .numeric
        case .timestamp: return .timestamp
        }
    }
}
