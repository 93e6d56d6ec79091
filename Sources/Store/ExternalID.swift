/// An identifier as the outside world knows it: an unsigned 64-bit number or a string.
///
/// Text is read by one rule everywhere (ids files, TSV, JSONL strings): canonical decimal digits
/// (no sign, no leading zero unless the number is 0) that fit in UInt64 are `.number`; text that
/// looks like a signed or overflowing number is rejected (it is almost always a mistake); any
/// other text of 1...`maxStringBytes` UTF-8 bytes without control characters is `.string`
/// ("007" is a string).
public enum ExternalID: Hashable, Sendable, CustomStringConvertible {
    case number(UInt64)
    case string(String)

    public static let maxStringBytes = 255

    public var description: String {
        switch self {
        case .number(let n): return String(n)
        case .string(let s): return s
        }
    }

    /// Why a text is not a valid id; the caller adds file and line.
    public enum ParseFailure: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case negativeOrSigned(String)
        case overflow(String)
        case tooLong(bytes: Int)
        case controlCharacter(String)

        public var description: String {
            switch self {
            case .empty: return "empty id"
            case .negativeOrSigned(let t): return "id '\(t)' is a signed number; ids are unsigned 64-bit numbers or strings"
            case .overflow(let t): return "id '\(t)' does not fit in an unsigned 64-bit number"
            case .tooLong(let n): return "id is \(n) bytes long; at most \(ExternalID.maxStringBytes) bytes are allowed"
            case .controlCharacter(let t): return "id '\(t.debugDescription)' contains a control character (tab, newline, ...)"
            }
        }
    }

    /// Parses text by the rule above.
    public static func parse(_ text: Substring) -> Result<ExternalID, ParseFailure> {
        let utf8 = text.utf8
        guard let first = utf8.first else { return .failure(.empty) }
        let isDigit: (UInt8) -> Bool = { $0 >= 48 && $0 <= 57 }
        if utf8.allSatisfy(isDigit) {
            if first == 48 && utf8.count > 1 { return checkString(text) }  // "007": a string id
            guard let n = UInt64(text) else { return .failure(.overflow(String(text))) }
            return .success(.number(n))
        }
        if (first == 45 || first == 43) && utf8.count > 1 && utf8.dropFirst().allSatisfy(isDigit) {
            return .failure(.negativeOrSigned(String(text)))
        }
        return checkString(text)
    }

    public static func parse(_ text: String) -> Result<ExternalID, ParseFailure> {
        parse(Substring(text))
    }

    private static func checkString(_ text: Substring) -> Result<ExternalID, ParseFailure> {
        let n = text.utf8.count
        if n > maxStringBytes { return .failure(.tooLong(bytes: n)) }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return .failure(.controlCharacter(String(text)))
        }
        return .success(.string(String(text)))
    }
}
