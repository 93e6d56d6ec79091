/// Reads the error code of a binary ann.v1 `Reply` without decoding the reply (a load
/// generator reads only this, per reply): field 2 (`error`, a message) holds field 1 (`code`,
/// a varint); a reply without field 2, or an error without a code, is OK (proto3 defaults).
/// Nil when the bytes are not well-formed protobuf down to the error's code.
public enum ReplyPeek {
    public static func errorCode(of bytes: UnsafeRawBufferPointer) -> Ann_V1_ErrorCode? {
        var reader = FieldReader(bytes: bytes, end: bytes.count)
        while !reader.atEnd {
            guard let key = reader.varint() else { return nil }
            guard key == 0x12 else {  // field 2, length-delimited
                guard reader.skip(wireType: key & 7) else { return nil }
                continue
            }
            guard let length = reader.varint(), length <= UInt64(reader.remaining) else { return nil }
            var error = FieldReader(bytes: bytes, position: reader.position, end: reader.position + Int(length))
            while !error.atEnd {
                guard let inner = error.varint() else { return nil }
                if inner == 0x08 {  // field 1, varint
                    guard let code = error.varint() else { return nil }
                    return Ann_V1_ErrorCode(rawValue: Int(truncatingIfNeeded: code))
                }
                guard error.skip(wireType: inner & 7) else { return nil }
            }
            return .ok
        }
        return .ok
    }

    /// A cursor over protobuf fields in `bytes[position..<end]`.
    struct FieldReader {
        let bytes: UnsafeRawBufferPointer
        var position = 0
        let end: Int

        var atEnd: Bool { position >= end }
        var remaining: Int { end - position }

        mutating func varint() -> UInt64? {
            var value: UInt64 = 0, shift: UInt64 = 0
            while position < end, shift < 64 {
                let b = bytes[position]
                position += 1
                value |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }

        /// Skips the value of a field of `wireType`; false when it is malformed or runs past the end.
        mutating func skip(wireType: UInt64) -> Bool {
            switch wireType {
            case 0: return varint() != nil
            case 1: position += 8
            case 5: position += 4
            case 2:
                guard let length = varint(), length <= UInt64(remaining) else { return false }
                position += Int(length)
            default: return false
            }
            return position <= end
        }
    }
}
