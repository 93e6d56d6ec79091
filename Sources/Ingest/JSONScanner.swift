/// A hand-written JSON parser over the bytes of one line (much faster than JSONSerialization
/// for millions of small objects). Float arrays are parsed straight into a `[Float]`.
///
/// It lives only inside the `ByteSource.nextLine` closure that lends it the bytes.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    let file: String
    let line: Int
    private(set) var i = 0
    static let maxDepth = 64

    init(bytes: UnsafeRawBufferPointer, file: String, line: Int) {
        self.bytes = bytes
        self.file = file
        self.line = line
    }

    var atEnd: Bool { i >= bytes.count }

    func fail(_ what: String) -> IngestError {
        IngestError.malformed(file: file, location: .line(line), reason: "\(what) at column \(i + 1)")
    }

    private func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

    mutating func skipWhitespace() {
        while i < bytes.count {
            let c = bytes[i]
            if c == 32 || c == 9 || c == 10 || c == 13 { i += 1 } else { return }
        }
    }

    /// After the top-level value: only whitespace may remain.
    mutating func expectEnd() throws {
        skipWhitespace()
        if !atEnd { throw fail("unexpected text after the JSON value") }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        skipWhitespace()
        guard peek() == byte else { throw fail("expected \(what)") }
        i += 1
    }

    // MARK: objects, driven by the caller

    /// Consumes `{`.
    mutating func beginObject() throws { try expect(123, "'{' (each line must be a JSON object)") }

    /// The next member's key (with its `:` consumed), or nil at `}`. Handles the commas.
    mutating func nextKey(first: inout Bool) throws -> String? {
        skipWhitespace()
        if peek() == 125 { i += 1; return nil }
        if !first { try expect(44, "',' or '}' in object") }
        first = false
        skipWhitespace()
        guard peek() == 34 else { throw fail("expected a string key") }
        let key = try parseString()
        try expect(58, "':' after key")
        return key
    }

    // MARK: values

    mutating func parseValue(depth: Int = 0) throws -> JSONValue {
        skipWhitespace()
        guard let c = peek() else { throw fail("expected a value") }
        if depth > JSONScanner.maxDepth { throw fail("nesting deeper than \(JSONScanner.maxDepth)") }
        switch c {
        case 34: return .string(try parseString())
        case 123:
            i += 1
            var members: [(key: String, value: JSONValue)] = []
            var first = true
            while let key = try nextKey(first: &first) {
                members.append((key, try parseValue(depth: depth + 1)))
            }
            return .object(members)
        case 91:
            i += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if peek() == 93 { i += 1; return .array(items) }
            while true {
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                if peek() == 93 { i += 1; return .array(items) }
                try expect(44, "',' or ']' in array")
            }
        case 116: try literal("true"); return .bool(true)
        case 102: try literal("false"); return .bool(false)
        case 110: try literal("null"); return .null
        default:
            return try parseNumber()
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard bytes.count - i >= n else { throw fail("unexpected end of line") }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw fail("unknown literal") }
        i += n
    }

    /// A number by JSON's grammar: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private mutating func parseNumber() throws -> JSONValue {
        let begin = i
        if peek() == 45 { i += 1 }
        guard let first = peek(), NumberScanner.isDigit(first) else { throw fail("expected a value") }
        i += 1
        if first != 48 { while let c = peek(), NumberScanner.isDigit(c) { i += 1 } }
        if peek() == 46 {
            i += 1
            guard let c = peek(), NumberScanner.isDigit(c) else { throw fail("expected digits after '.'") }
            while let c = peek(), NumberScanner.isDigit(c) { i += 1 }
        }
        if peek() == 101 || peek() == 69 {
            i += 1
            if peek() == 43 || peek() == 45 { i += 1 }
            guard let c = peek(), NumberScanner.isDigit(c) else { throw fail("expected exponent digits") }
            while let c = peek(), NumberScanner.isDigit(c) { i += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[begin..<i]), as: UTF8.self)
        guard let value = Double(text) else { throw fail("bad number '\(text)'") }
        return .number(value, text: text)
    }

    /// A string starting at the opening quote; escapes decoded, UTF-8 validated.
    mutating func parseString() throws -> String {
        i += 1  // opening quote
        let begin = i
        while i < bytes.count {
            let c = bytes[i]
            if c == 34 {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[begin..<i])
                i += 1
                guard let s = String(validating: slice, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
                return s
            }
            if c == 92 { break }
            if c < 0x20 { throw fail("control character in string") }
            i += 1
        }
        // Slow path: escapes.
        var out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[begin..<i]))
        while i < bytes.count {
            let c = bytes[i]
            if c == 34 {
                i += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
                return s
            }
            if c < 0x20 { throw fail("control character in string") }
            if c != 92 { out.append(c); i += 1; continue }
            i += 1
            guard let e = peek() else { break }
            i += 1
            switch e {
            case 34, 92, 47: out.append(e)
            case 98: out.append(8)
            case 102: out.append(12)
            case 110: out.append(10)
            case 114: out.append(13)
            case 116: out.append(9)
            case 117:
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard peek() == 92, i + 1 < bytes.count, bytes[i + 1] == 117 else { throw fail("lone surrogate in \\u escape") }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw fail("bad surrogate pair in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw fail("lone surrogate in \\u escape")
                }
                out.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar)!)!)
            default:
                throw fail("unknown escape '\\\(Character(Unicode.Scalar(e)))'")
            }
        }
        throw fail("unterminated string")
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - i >= 4 else { throw fail("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let digit: UInt8
            switch c {
            case 48...57: digit = c - 48
            case 97...102: digit = c - 87
            case 65...70: digit = c - 55
            default: throw fail("bad hex digit in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            i += 1
        }
        return value
    }

    /// An array of numbers appended to `output`; returns how many. `NaN`, `Infinity` and
    /// `-Infinity` (written by Python's json) are read as such so the caller reports them as
    /// non-finite rather than as a syntax error.
    mutating func parseFloatArray(into output: inout [Float]) throws -> Int {
        try expect(91, "'[' (the vector must be an array of numbers)")
        var count = 0
        skipWhitespace()
        if peek() == 93 { i += 1; return 0 }
        while true {
            skipWhitespace()
            guard let (value, next) = NumberScanner.scanFloat(bytes, from: i, end: bytes.count) else {
                throw fail("expected a number in the vector")
            }
            output.append(value)
            count += 1
            i = next
            skipWhitespace()
            guard let c = peek() else { throw fail("unterminated vector") }
            i += 1
            if c == 93 { return count }
            if c != 44 { i -= 1; throw fail("expected ',' or ']' in the vector") }
        }
    }
}
