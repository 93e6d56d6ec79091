import SwiftProtobuf

/// Why a message could not be read or written. Descriptions name the encoding and the fault.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The message has no bytes.
    case empty
    /// The bytes are not a valid message in `encoding` (truncated, unknown JSON field, ...).
    case malformed(encoding: WireEncoding, reason: String)
    /// A message could not be serialised (e.g. over protobuf's 2 GiB limit).
    case encodingFailed(reason: String)

    public var description: String {
        switch self {
        case .empty: return "empty message: expected an ann.v1 Request (binary protobuf, or JSON starting with '{')"
        case let .malformed(encoding, reason): return "malformed \(encoding) ann.v1 message: \(reason)"
        case let .encodingFailed(reason): return "cannot encode ann.v1 message: \(reason)"
        }
    }

    /// Words for SwiftProtobuf's decoding errors (they carry no description of their own).
    static func reason(_ error: Error) -> String {
        if let e = error as? BinaryDecodingError {
            switch e {
            case .truncated: return "truncated (a field runs past the end of the message)"
            case .trailingGarbage: return "trailing bytes after the message"
            case .invalidUTF8: return "a string field is not valid UTF-8"
            case .malformedProtobuf: return "not a protobuf message (bad tag, wire type or length)"
            case .missingRequiredFields: return "required fields missing"
            case .messageDepthLimit: return "messages nested too deeply"
            default: return "\(e)"
            }
        }
        if let e = error as? JSONDecodingError {
            switch e {
            case .unknownField(let name): return "unknown field '\(name)'"
            case .truncated: return "truncated JSON"
            case .trailingGarbage: return "text after the JSON object"
            case .malformedNumber: return "malformed number"
            case .malformedBool: return "not a boolean (true or false, unquoted)"
            case .malformedMap: return "malformed map (an object of key: value)"
            case .leadingZero: return "a number with a leading zero"
            case .unquotedMapKey: return "a map key without quotes"
            case .failure: return "a value of the wrong shape for its field (e.g. a string where an object is expected)"
            case .numberRange: return "number out of range for its field"
            case .malformedString: return "malformed string"
            case .invalidUTF8: return "not valid UTF-8"
            case .schemaMismatch: return "a value of the wrong type for its field"
            case .unrecognizedEnumValue: return "unknown enum value"
            case .conflictingOneOf: return "two members of a oneof are set (e.g. two operations in one request)"
            case .illegalNull: return "null where a value is required"
            case .messageDepthLimit: return "objects nested too deeply"
            default: return "\(e)"
            }
        }
        return "\(error)"
    }
}
