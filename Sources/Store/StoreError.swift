import LMDB
import VectorMath

/// Everything that can go wrong in the store. Descriptions name the store, the field, and the
/// expected and actual values.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case lmdb(LMDBError, operation: String)
    case notAStore(path: String)
    case notInitialized(path: String)
    case formatVersionMismatch(path: String, expected: UInt32, got: UInt32)
    case dimensionMismatch(expected: Int, got: Int)
    case metricMismatch(expected: Metric, got: Metric)
    case unknownMetricCode(UInt8)
    case corruptValue(table: String, reason: String)
    case unknownID(Entity, ExternalID)
    case unknownInternalID(Entity, UInt32)
    case tooManyRows(Entity)
    case invalidDimension(Int)
    case nonFiniteValue(Entity, ExternalID, column: Int)
    /// A vector whose squared norm exceeds `Distance.maximumSquaredNorm` (scores would overflow).
    case vectorTooLong(Entity, ExternalID, squaredNorm: Float)
    /// A multi-categorical value with more distinct labels than `FeatureRecordCodec.maximumLabels`.
    case tooManyLabels(Entity, column: String, count: Int, maximum: Int)
    case featureKindMismatch(Entity, column: String, expected: FeatureKind, got: FeatureKind)
    case invalidFeatureName(String)
    case tooManyFeatureColumns(Entity)

    public var description: String {
        switch self {
        case let .lmdb(error, operation): return "\(operation): \(error)"
        case let .notAStore(path): return "\(path) is not an index store (no LMDB environment with a meta table)"
        case let .notInitialized(path): return "store \(path) holds no data yet (import embeddings first)"
        case let .formatVersionMismatch(path, expected, got):
            return "store \(path) has format version \(got); this build reads version \(expected)"
        case let .dimensionMismatch(expected, got): return "dimension mismatch: the store holds \(expected)-d vectors, got \(got)-d"
        case let .metricMismatch(expected, got):
            return "metric mismatch: the store uses '\(expected.rawValue)', got '\(got.rawValue)'"
        case let .unknownMetricCode(code): return "unknown metric code \(code) in meta"
        case let .corruptValue(table, reason): return "corrupt value in table \(table): \(reason)"
        case let .unknownID(entity, id): return "unknown \(entity) id '\(id)'"
        case let .unknownInternalID(entity, id): return "unknown internal \(entity) row \(id)"
        case let .tooManyRows(entity): return "too many \(entity)s: internal ids are 32-bit"
        case let .invalidDimension(d): return "invalid dimension \(d): expected 1...65536"
        case let .nonFiniteValue(entity, id, column):
            return "\(entity) '\(id)': component \(column) is NaN or infinite"
        case let .tooManyLabels(entity, column, count, maximum):
            return "\(entity) feature '\(column)' holds \(count) distinct labels, at most \(maximum)"
        case let .vectorTooLong(entity, id, squaredNorm):
            return "\(entity) '\(id)': squared norm \(squaredNorm) exceeds \(Distance.maximumSquaredNorm) (scores with it would overflow float32; scale the vectors down)"
        case let .featureKindMismatch(entity, column, expected, got):
            return "\(entity) feature '\(column)' is \(expected) in the store, got \(got)"
        case let .invalidFeatureName(name): return "invalid feature name '\(name)': 1...200 bytes, no control characters"
        case let .tooManyFeatureColumns(entity): return "too many \(entity) feature columns (at most 65535)"
        }
    }
}

extension StoreError {
    /// Runs an LMDB call, naming the operation in the error. MDB_MAP_FULL passes through
    /// unchanged so that `Environment.write` can grow the map and retry.
    @inlinable
    static func wrap<R>(_ operation: @autoclosure () -> String, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as LMDBError {
            if error == .mapFull { throw error }
            throw StoreError.lmdb(error, operation: operation())
        }
    }
}
