import SwiftProtobuf

/// The two encodings of an ann.v1 message.
public enum WireEncoding: String, Sendable, CustomStringConvertible {
    /// Protobuf binary: what clients send.
    case binary
    /// Protobuf's JSON mapping: for people with `nngcat`; chosen when the first byte is `{`.
    case json

    /// The encoding of a received message: JSON when its first byte is `{`, after an optional
    /// UTF-8 byte-order mark and white space (as editors and `echo` leave them). No binary
    /// `Request` or `Reply` starts with 0x7b (field 15 with the deprecated group wire type),
    /// nor with a white-space byte or 0xEF (wire types or field numbers no message has).
    @inlinable
    public static func of(_ bytes: UnsafeRawBufferPointer) -> WireEncoding {
        jsonObjectStart(bytes) == nil ? .binary : .json
    }

    /// The offset of the `{` that opens a JSON message (after the byte-order mark and white
    /// space), or nil when the message is not JSON.
    @inlinable @usableFromInline
    static func jsonObjectStart(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var i = jsonBodyStart(bytes)
        while i < bytes.count, isSpace(bytes[i]) { i += 1 }
        return i < bytes.count && bytes[i] == UInt8(ascii: "{") ? i : nil
    }

    /// JSON white space: space, tab, line feed, carriage return.
    @inlinable @usableFromInline
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// 3 when `bytes` start with a UTF-8 byte-order mark, else 0.
    @inlinable @usableFromInline
    static func jsonBodyStart(_ bytes: UnsafeRawBufferPointer) -> Int {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
    }

    public var description: String { rawValue }
}

/// Encodes and decodes ann.v1 messages in either encoding.
public enum WireCodec {
    /// Nesting allowed in a message (a batch holds requests; nothing deeper is useful).
    public static let depthLimit = 16

    /// Decodes a request and tells which encoding it came in (answer in the same).
    public static func decodeRequest(_ bytes: UnsafeRawBufferPointer) throws -> (Ann_V1_Request, WireEncoding) {
        let encoding = WireEncoding.of(bytes)
        return (try decode(Ann_V1_Request.self, bytes, encoding: encoding), encoding)
    }

    /// Decodes a reply (clients), in the encoding its first byte announces.
    public static func decodeReply(_ bytes: UnsafeRawBufferPointer) throws -> Ann_V1_Reply {
        try decode(Ann_V1_Reply.self, bytes, encoding: WireEncoding.of(bytes))
    }

    /// Decodes `bytes` as a message of type `M` in `encoding`. Unknown JSON fields are errors
    /// (a typo must not be ignored); unknown binary fields are kept (newer clients).
    public static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, _ bytes: UnsafeRawBufferPointer,
                                                        encoding: WireEncoding) throws -> M {
        guard bytes.count > 0 else { throw WireError.empty }
        do {
            switch encoding {
            case .binary:
                var options = BinaryDecodingOptions()
                options.messageDepthLimit = depthLimit
                return try M(serializedBytes: bytes.bytes, options: options)
            case .json:
                var options = JSONDecodingOptions()
                options.messageDepthLimit = depthLimit
                return try M(jsonUTF8Bytes: [UInt8](bytes[WireEncoding.jsonBodyStart(bytes)...]), options: options)
            }
        } catch {
            let reason = WireError.reason(error)
            let named: Bool
            if case JSONDecodingError.unknownField = error { named = true } else { named = false }
            if encoding == .json, !named, let field = JSONFaultLocator.locate(M.self, bytes) {
                throw WireError.malformed(encoding: encoding, reason: "\(field): \(reason)")
            }
            throw WireError.malformed(encoding: encoding, reason: reason)
        }
    }

    /// The request id of a binary request without decoding the rest: the value of field 1
    /// when it comes first (as every encoder writes it), else nil. Lets the server echo the id
    /// of a message it will not read (over the size limit, truncated, malformed).
    public static func peekRequestID(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        if WireEncoding.of(bytes) == .json { return peekJSONRequestID(bytes) }
        guard bytes.count >= 2, bytes[0] == 0x08 else { return nil }  // field 1, varint
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for i in 1..<min(bytes.count, 11) {
            let b = bytes[i]
            value |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    /// The request id of a JSON request when its first member is `"requestId"` (or
    /// `"request_id"`) with a number or a decimal string, as clients write it; else nil.
    static func peekJSONRequestID(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard var i = WireEncoding.jsonObjectStart(bytes) else { return nil }
        func skipSpace() { while i < bytes.count, WireEncoding.isSpace(bytes[i]) { i += 1 } }
        i += 1
        skipSpace()
        let names = [Array("\"requestId\"".utf8), Array("\"request_id\"".utf8)]
        guard let name = names.first(where: { n in i + n.count <= bytes.count && (0..<n.count).allSatisfy { bytes[i + $0] == n[$0] } }) else { return nil }
        i += name.count
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        skipSpace()
        let quoted = i < bytes.count && bytes[i] == UInt8(ascii: "\"")
        if quoted { i += 1 }
        var value: UInt64 = 0
        var digits = 0
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(bytes[i] - 48))
            guard !o1, !o2 else { return nil }
            value = sum
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        if quoted { return i < bytes.count && bytes[i] == UInt8(ascii: "\"") ? value : nil }
        skipSpace()
        return i < bytes.count && (bytes[i] == UInt8(ascii: ",") || bytes[i] == UInt8(ascii: "}")) ? value : nil
    }

    /// The bytes of `message` in `encoding`.
    public static func encode<M: SwiftProtobuf.Message>(_ message: M, as encoding: WireEncoding) throws -> [UInt8] {
        do {
            switch encoding {
            case .binary: return try message.serializedBytes()
            case .json: return try message.jsonUTF8Bytes()
            }
        } catch {
            throw WireError.encodingFailed(reason: "\(error)")
        }
    }
}
