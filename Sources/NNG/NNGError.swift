import CNNG

/// An NNG failure: the return code, mapped by number, and the operation that produced it.
///
/// Compare errors by `code` (`error.code == .timedOut`); `operation` is context for people
/// ("listen tcp://127.0.0.1:7400"), and `description` adds NNG's own text for the code.
public struct NNGError: Error, CustomStringConvertible, Equatable, Sendable {
    /// NNG's return codes (`nng_errno_enum`), one case per number.
    public enum Code: Equatable, Hashable, Sendable {
        case interrupted            // NNG_EINTR
        case outOfMemory            // NNG_ENOMEM
        case invalidArgument        // NNG_EINVAL
        case busy                   // NNG_EBUSY
        case timedOut               // NNG_ETIMEDOUT
        case connectionRefused      // NNG_ECONNREFUSED
        case closed                 // NNG_ECLOSED
        case tryAgain               // NNG_EAGAIN
        case notSupported           // NNG_ENOTSUP
        case addressInUse           // NNG_EADDRINUSE
        case badState               // NNG_ESTATE
        case notFound               // NNG_ENOENT
        case protocolError          // NNG_EPROTO
        case unreachable            // NNG_EUNREACHABLE
        case invalidAddress         // NNG_EADDRINVAL
        case permissionDenied       // NNG_EPERM
        case messageTooLarge        // NNG_EMSGSIZE
        case connectionAborted      // NNG_ECONNABORTED
        case connectionReset        // NNG_ECONNRESET
        case canceled               // NNG_ECANCELED
        case outOfFiles             // NNG_ENOFILES
        case outOfSpace             // NNG_ENOSPC
        case alreadyExists          // NNG_EEXIST
        case readOnly               // NNG_EREADONLY
        case writeOnly              // NNG_EWRITEONLY
        case cryptographic          // NNG_ECRYPTO
        case peerAuthentication     // NNG_EPEERAUTH
        case missingArgument        // NNG_ENOARG
        case ambiguousOption        // NNG_EAMBIGUOUS
        case badType                // NNG_EBADTYPE
        case connectionShutdown     // NNG_ECONNSHUT
        case internalError          // NNG_EINTERNAL
        /// `NNG_ESYSERR | errno`: an operating-system error NNG passed through.
        case system(errno: Int32)
        /// `NNG_ETRANERR | code`: a transport-specific error.
        case transport(code: Int32)
        /// A number this wrapper does not know.
        case other(code: Int32)

        /// Maps an NNG return code (non-zero) by its number.
        public init(rawValue code: Int32) {
            let sysErr = Int32(NNG_ESYSERR.rawValue), tranErr = Int32(NNG_ETRANERR.rawValue)
            if code & sysErr != 0 { self = .system(errno: code & ~sysErr); return }
            if code & tranErr != 0 { self = .transport(code: code & ~tranErr); return }
            self = Code.byNumber[code] ?? .other(code: code)
        }

        /// The NNG return code this case stands for.
        public var rawValue: Int32 {
            switch self {
            case .system(let errno): return errno | Int32(NNG_ESYSERR.rawValue)
            case .transport(let code): return code | Int32(NNG_ETRANERR.rawValue)
            case .other(let code): return code
            default: return Code.numbers[self] ?? 0
            }
        }

        private static let table: [(nng_errno_enum, Code)] = [
            (NNG_EINTR, .interrupted), (NNG_ENOMEM, .outOfMemory), (NNG_EINVAL, .invalidArgument),
            (NNG_EBUSY, .busy), (NNG_ETIMEDOUT, .timedOut), (NNG_ECONNREFUSED, .connectionRefused),
            (NNG_ECLOSED, .closed), (NNG_EAGAIN, .tryAgain), (NNG_ENOTSUP, .notSupported),
            (NNG_EADDRINUSE, .addressInUse), (NNG_ESTATE, .badState), (NNG_ENOENT, .notFound),
            (NNG_EPROTO, .protocolError), (NNG_EUNREACHABLE, .unreachable),
            (NNG_EADDRINVAL, .invalidAddress), (NNG_EPERM, .permissionDenied),
            (NNG_EMSGSIZE, .messageTooLarge), (NNG_ECONNABORTED, .connectionAborted),
            (NNG_ECONNRESET, .connectionReset), (NNG_ECANCELED, .canceled),
            (NNG_ENOFILES, .outOfFiles), (NNG_ENOSPC, .outOfSpace), (NNG_EEXIST, .alreadyExists),
            (NNG_EREADONLY, .readOnly), (NNG_EWRITEONLY, .writeOnly), (NNG_ECRYPTO, .cryptographic),
            (NNG_EPEERAUTH, .peerAuthentication), (NNG_ENOARG, .missingArgument),
            (NNG_EAMBIGUOUS, .ambiguousOption), (NNG_EBADTYPE, .badType),
            (NNG_ECONNSHUT, .connectionShutdown), (NNG_EINTERNAL, .internalError),
        ]
        private static let byNumber: [Int32: Code] = Dictionary(
            uniqueKeysWithValues: table.map { (Int32($0.0.rawValue), $0.1) })
        private static let numbers: [Code: Int32] = Dictionary(
            uniqueKeysWithValues: table.map { ($0.1, Int32($0.0.rawValue)) })
    }

    /// What failed, by NNG's number.
    public let code: Code
    /// The operation that failed, e.g. `"listen tcp://127.0.0.1:7400"` or `"ctx recv"`.
    public let operation: String

    public init(_ code: Code, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// Wraps a non-zero NNG return code.
    public init(rawValue: Int32, operation: String) {
        self.init(Code(rawValue: rawValue), operation: operation)
    }

    /// `"<operation>: <nng_strerror text>"`, e.g. `"listen tcp://127.0.0.1:7400: Address in use"`.
    public var description: String {
        "\(operation): \(String(cString: nng_strerror(code.rawValue)))"
    }
}

/// Throws `NNGError` for a non-zero NNG return code.
@usableFromInline
func check(_ rv: Int32, _ operation: @autoclosure () -> String) throws {
    if rv != 0 { throw NNGError(rawValue: rv, operation: operation()) }
}
