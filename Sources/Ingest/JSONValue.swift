/// A JSON value as parsed from one line. Objects keep their members in file order.
enum JSONValue: Equatable {
    case null
    case bool(Bool)
    /// The value and its text as written (for categorical features made from numbers).
    case number(Double, text: String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x, let s), .number(let y, let t)): return x == y && s == t
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// A short description of the value's type and text, for error messages.
    var summary: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return "boolean \(b)"
        case .number(_, let text): return "number \(text)"
        case .string(let s): return "string \(s.count > 40 ? String(s.prefix(40)).debugDescription + "..." : s.debugDescription)"
        case .array(let items): return "array of \(items.count)"
        case .object: return "object"
        }
    }
}
