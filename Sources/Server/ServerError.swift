import NNG
import Ranking
import Store
import VectorIndex
import Wire

/// Everything that can go wrong in the server. Request failures map to an ann.v1 error code
/// (`code`); setup failures (listening, opening the store) are thrown to the caller.
public enum ServerError: Error, Equatable, Sendable, CustomStringConvertible {
    case badRequest(String)
    case unknownID(Entity, String)
    case noVector(Entity, String)
    case dimensionMismatch(expected: Int, got: Int)
    case limitExceeded(what: String, limit: Int, got: Int)
    case notReady(String)
    case internalError(String)
    /// Setup: a listen URL was refused.
    case listen(url: String, reason: String)
    /// Setup: the configuration is unusable.
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case let .badRequest(why): return "bad request: \(why)"
        case let .unknownID(entity, id): return "unknown \(entity) id '\(id)'"
        case let .noVector(entity, id): return "\(entity) '\(id)' has no embedding"
        case let .dimensionMismatch(expected, got):
            return "dimension mismatch: the store holds \(expected)-d vectors, the request has \(got)"
        case let .limitExceeded(what, limit, got): return "\(what) is \(got), over the limit of \(limit)"
        case let .notReady(why): return "not ready: \(why)"
        case let .internalError(why): return "internal error: \(why)"
        case let .listen(url, reason): return "cannot listen on \(url): \(reason)"
        case let .invalidConfiguration(why): return "invalid server configuration: \(why)"
        }
    }

    /// The ann.v1 code a client sees.
    public var code: Ann_V1_ErrorCode {
        switch self {
        case .badRequest: return .badRequest
        case .unknownID, .noVector: return .unknownID
        case .dimensionMismatch: return .dimensionMismatch
        case .limitExceeded: return .limitExceeded
        case .notReady: return .notReady
        case .internalError, .listen, .invalidConfiguration: return .internal
        }
    }

    /// Classifies an error thrown while answering a request.
    static func classify(_ error: Error) -> ServerError {
        switch error {
        case let e as ServerError: return e
        case let e as WireError: return .badRequest(e.description)
        case let e as IndexError: return classify(index: e)
        case let e as StoreError: return classify(store: e)
        case let e as RankingError: return classify(ranking: e)
        default: return .internalError("\(error)")
        }
    }

    private static func classify(index error: IndexError) -> ServerError {
        switch error {
        case let .dimensionMismatch(expected, got): return .dimensionMismatch(expected: expected, got: got)
        case let .invalidK(k): return .limitExceeded(what: "k", limit: FlatIndex.maxK, got: k)
        case let .noVector(entity, id): return .noVector(entity, id.description)
        case let .store(e): return classify(store: e)
        case .stale, .indexChanged: return .notReady(error.description)
        case .invalidParameter: return .badRequest(error.description)
        case .notBuilt, .queryCountMismatch, .corruptIndex, .layoutVersionMismatch, .storeChangedDuringBuild:
            return .internalError(error.description)
        }
    }

    private static func classify(ranking error: RankingError) -> ServerError {
        switch error {
        case .invalidRequest, .unknownLabel, .noCategoryColumn, .invalidInput: return .badRequest(error.description)
        case let .noVector(entity, id): return .noVector(entity, id.description)
        case let .index(e): return classify(index: e)
        case let .store(e): return classify(store: e)
        case .modelUnreadable, .modelField, .unsupportedModelVersion, .unknownFeature: return .internalError(error.description)
        }
    }

    private static func classify(store error: StoreError) -> ServerError {
        switch error {
        case let .unknownID(entity, id): return .unknownID(entity, id.description)
        case let .dimensionMismatch(expected, got): return .dimensionMismatch(expected: expected, got: got)
        case let .notInitialized(path): return .notReady("store \(path) holds no data yet")
        case .nonFiniteValue, .vectorTooLong, .tooManyLabels, .featureKindMismatch, .invalidFeatureName, .invalidDimension, .metricMismatch,
             .tooManyFeatureColumns, .tooManyRows:
            return .badRequest(error.description)
        default: return .internalError(error.description)
        }
    }
}
