import Store
import VectorIndex

/// Everything that can go wrong in the ranking stage. Descriptions name the file, the field,
/// and what was expected against what was found.
public enum RankingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The model file could not be read or is not a JSON object.
    case modelUnreadable(path: String, reason: String)
    /// A field of the model file is missing, of the wrong type or out of range.
    case modelField(path: String, field: String, problem: String)
    /// The model file's `version` is not one this build reads.
    case unsupportedModelVersion(path: String, got: Int, supported: Int)
    /// A feature name (in a model file or a request) that the catalogue cannot compute.
    case unknownFeature(path: String, field: String, name: String, reason: String)
    /// A category label that the store's category column never saw.
    case unknownLabel(column: String, label: String)
    /// A request names categories but the store's items have no categorical column.
    case noCategoryColumn
    /// A request field out of range (`k`, `candidates`, `lambda`, ...).
    case invalidRequest(field: String, reason: String)
    /// The item to start `similar` from has no embedding.
    case noVector(Entity, ExternalID)
    /// Training or evaluation input that cannot be used.
    case invalidInput(reason: String)
    case index(IndexError)
    case store(StoreError)

    public var description: String {
        switch self {
        case let .modelUnreadable(path, reason): return "model file \(path): \(reason)"
        case let .modelField(path, field, problem): return "model file \(path): field '\(field)': \(problem)"
        case let .unsupportedModelVersion(path, got, supported):
            return "model file \(path): field 'version' is \(got); this build reads version \(supported)"
        case let .unknownFeature(path, field, name, reason):
            return "model file \(path): field '\(field)': unknown feature '\(name)': \(reason)"
        case let .unknownLabel(column, label): return "unknown category '\(label)' (item column '\(column)' never had it)"
        case .noCategoryColumn: return "the store's items have no categorical feature column to filter or diversify by"
        case let .invalidRequest(field, reason): return "request field '\(field)': \(reason)"
        case let .noVector(entity, id): return "\(entity) '\(id)' has no embedding"
        case let .invalidInput(reason): return reason
        case let .index(error): return error.description
        case let .store(error): return error.description
        }
    }

    /// Runs `body`, wrapping store and index errors so callers see one error type.
    @inlinable
    static func wrap<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as StoreError {
            throw RankingError.store(error)
        } catch let error as IndexError {
            throw RankingError.index(error)
        }
    }
}
