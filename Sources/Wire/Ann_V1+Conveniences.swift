/// Small helpers over the generated types (names follow the .proto).

extension Ann_V1_Id {
    /// A numeric id.
    public static func number(_ n: UInt64) -> Ann_V1_Id {
        var id = Ann_V1_Id()
        id.num = n
        return id
    }

    /// A string id (a `str` of canonical decimal digits is read as a number by the server).
    public static func string(_ s: String) -> Ann_V1_Id {
        var id = Ann_V1_Id()
        id.str = s
        return id
    }

    /// The id as text: the number in decimal, or the string.
    public var text: String {
        switch kind {
        case .num(let n): return String(n)
        case .str(let s): return s
        case nil: return ""
        }
    }
}

extension Ann_V1_ErrorCode {
    /// The name used in the .proto, JSON and metrics (`BAD_REQUEST`); "ok" for `.ok`.
    public var name: String {
        switch self {
        case .ok: return "ok"
        case .badRequest: return "BAD_REQUEST"
        case .unknownID: return "UNKNOWN_ID"
        case .dimensionMismatch: return "DIMENSION_MISMATCH"
        case .limitExceeded: return "LIMIT_EXCEEDED"
        case .notReady: return "NOT_READY"
        case .internal: return "INTERNAL"
        case .UNRECOGNIZED(let n): return "UNRECOGNIZED_\(n)"
        }
    }
}

extension Ann_V1_Request {
    /// The op's name as in the .proto (`search`, `recommend`, ...), "none" when no op is set.
    public var opName: String {
        switch op {
        case .search: return "search"
        case .recommend: return "recommend"
        case .similar: return "similar"
        case .batch: return "batch"
        case .upsert: return "upsert"
        case .delete: return "delete"
        case .stats: return "stats"
        case .health: return "health"
        case nil: return "none"
        }
    }
}

extension Ann_V1_Reply {
    /// A reply carrying an error.
    public static func failure(requestID: UInt64, code: Ann_V1_ErrorCode, message: String) -> Ann_V1_Reply {
        var reply = Ann_V1_Reply()
        reply.requestID = requestID
        reply.error.code = code
        reply.error.message = message
        return reply
    }

    /// True when the reply carries an error.
    public var isFailure: Bool { hasError && error.code != .ok }
}
