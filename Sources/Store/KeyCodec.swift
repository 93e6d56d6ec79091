/// Byte encodings of keys and small values. Keys are big-endian so that LMDB's byte order is
/// numeric order; values are little-endian. Frozen for format version 1 (see StoreLayout).
public enum KeyCodec {
    /// Tag bytes of external-id keys: numbers sort before strings.
    public static let numberTag: UInt8 = 1
    public static let stringTag: UInt8 = 2

    // MARK: row and block keys (u32 big-endian)

    /// Calls `body` with the 4-byte big-endian key of a row or block number, without allocating.
    @inlinable
    public static func withRowKey<R>(_ row: UInt32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var be = row.bigEndian
        return try withUnsafeBytes(of: &be) { try body($0) }
    }

    public static func rowKey(_ row: UInt32) -> [UInt8] { withRowKey(row) { Array($0) } }

    public static func decodeRowKey(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        guard bytes.count == 4 else { return nil }
        return UInt32(bigEndian: bytes.loadUnaligned(as: UInt32.self))
    }

    // MARK: external ids

    public static func externalKey(_ id: ExternalID) -> [UInt8] {
        switch id {
        case .number(let n):
            var key: [UInt8] = [numberTag]
            key.reserveCapacity(9)
            withUnsafeBytes(of: n.bigEndian) { key.append(contentsOf: $0) }
            return key
        case .string(let s):
            return [stringTag] + Array(s.utf8)
        }
    }

    public static func decodeExternalKey(_ bytes: UnsafeRawBufferPointer) -> ExternalID? {
        guard let tag = bytes.first else { return nil }
        let body = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        switch tag {
        case numberTag:
            guard body.count == 8 else { return nil }
            return .number(UInt64(bigEndian: body.loadUnaligned(as: UInt64.self)))
        case stringTag:
            guard !body.isEmpty, let s = String(validating: body, as: UTF8.self) else { return nil }
            return .string(s)
        default:
            return nil
        }
    }

    // MARK: feature schema keys

    public static func columnKey(_ entity: Entity, name: String) -> [UInt8] {
        [entity.rawValue] + Array(name.utf8)
    }

    public static func decodeColumnKey(_ bytes: UnsafeRawBufferPointer) -> (Entity, String)? {
        guard let first = bytes.first, let entity = Entity(rawValue: first),
              let name = String(validating: UnsafeRawBufferPointer(rebasing: bytes.dropFirst()), as: UTF8.self)
        else { return nil }
        return (entity, name)
    }

    public static func labelKey(_ entity: Entity, column: UInt16, label: String) -> [UInt8] {
        var key: [UInt8] = [entity.rawValue, UInt8(column >> 8), UInt8(column & 0xFF)]
        key.append(contentsOf: label.utf8)
        return key
    }

    public static func labelNameKey(_ entity: Entity, column: UInt16, code: UInt32) -> [UInt8] {
        var key: [UInt8] = [entity.rawValue, UInt8(column >> 8), UInt8(column & 0xFF)]
        withUnsafeBytes(of: code.bigEndian) { key.append(contentsOf: $0) }
        return key
    }

    public static func decodeLabelNameKey(_ bytes: UnsafeRawBufferPointer) -> (Entity, UInt16, UInt32)? {
        guard bytes.count == 7, let entity = Entity(rawValue: bytes[0]) else { return nil }
        let column = UInt16(bytes[1]) << 8 | UInt16(bytes[2])
        let code = UInt32(bigEndian: UnsafeRawBufferPointer(rebasing: bytes[3...]).loadUnaligned(as: UInt32.self))
        return (entity, column, code)
    }

    // MARK: little-endian scalar values

    public static func encode<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    public static func decode<T: FixedWidthInteger>(_ type: T.Type, _ bytes: UnsafeRawBufferPointer) -> T? {
        guard bytes.count == MemoryLayout<T>.size else { return nil }
        return T(littleEndian: bytes.loadUnaligned(as: T.self))
    }
}
