/// Encoding of one row's features (`item_features` / `user_features` values), version 1:
/// `u8 version | u16 count | count x (u16 column | u8 kind | payload)` sorted by column, where the
/// payload is u32 code (categorical), u16 n + n x u32 codes (multi), f64 (numeric) or i64
/// seconds (timestamp); all little-endian.
public enum FeatureRecordCodec {
    public static let version: UInt8 = 1
    /// The most distinct labels one multi-categorical value may hold (the format allows 65,535;
    /// ranking and filters handle each label of a row, so a bound keeps them cheap).
    public static let maximumLabels = 4096

    public static func encode(_ values: [(column: UInt16, value: StoredFeature)]) -> [UInt8] {
        var out: [UInt8] = [version]
        out += KeyCodec.encode(UInt16(values.count))
        for (column, value) in values.sorted(by: { $0.column < $1.column }) {
            out += KeyCodec.encode(column)
            out.append(value.kind.rawValue)
            switch value {
            case .categorical(let code): out += KeyCodec.encode(code)
            case .multiCategorical(let codes):
                out += KeyCodec.encode(UInt16(codes.count))
                for c in codes { out += KeyCodec.encode(c) }
            case .numeric(let x): out += KeyCodec.encode(x.bitPattern)
            case .timestamp(let t): out += KeyCodec.encode(t)
            }
        }
        return out
    }

    /// Decodes a record; nil when the bytes are not a valid version-1 record.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> [(column: UInt16, value: StoredFeature)]? {
        var at = 0
        func take<T: FixedWidthInteger>(_: T.Type) -> T? {
            let n = MemoryLayout<T>.size
            guard at + n <= bytes.count else { return nil }
            defer { at += n }
            return T(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: T.self))
        }
        guard take(UInt8.self) == version, let count = take(UInt16.self) else { return nil }
        var values: [(column: UInt16, value: StoredFeature)] = []
        values.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let column = take(UInt16.self), let kindCode = take(UInt8.self),
                  let kind = FeatureKind(rawValue: kindCode) else { return nil }
            switch kind {
            case .categorical:
                guard let c = take(UInt32.self) else { return nil }
                values.append((column, .categorical(c)))
            case .multiCategorical:
                guard let n = take(UInt16.self) else { return nil }
                var codes: [UInt32] = []
                for _ in 0..<n {
                    guard let c = take(UInt32.self) else { return nil }
                    codes.append(c)
                }
                values.append((column, .multiCategorical(codes)))
            case .numeric:
                guard let bits = take(UInt64.self) else { return nil }
                values.append((column, .numeric(Double(bitPattern: bits))))
            case .timestamp:
                guard let t = take(Int64.self) else { return nil }
                values.append((column, .timestamp(t)))
            }
        }
        return at == bytes.count ? values : nil
    }
}
