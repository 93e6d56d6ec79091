/// The header of a NumPy `.npy` file (format versions 1, 2 and 3).
///
/// Layout: magic `\x93NUMPY`, major and minor version bytes, the header length (uint16 LE in
/// version 1, uint32 LE in 2 and 3), then a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 128), }`; the data follows.
struct NpyHeader: Equatable {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]
    /// Byte offset of the first element.
    var dataOffset: Int

    /// Element types this module reads.
    enum ElementType: String {
        case float32 = "<f4", float16 = "<f2", float64 = "<f8"
        case int64 = "<i8", uint64 = "<u8", int32 = "<i4", uint32 = "<u4"

        var size: Int {
            switch self {
            case .float16: return 2
            case .float32, .int32, .uint32: return 4
            case .float64, .int64, .uint64: return 8
            }
        }
    }

    /// Reads and parses the header; leaves `source` at the first data byte.
    static func read(from source: ByteSource) throws -> NpyHeader {
        let file = source.path
        var prefix = [UInt8](repeating: 0, count: 12)
        let got = try prefix.withUnsafeMutableBytes { try source.readBytes(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<10])) }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        if got < 10 || Array(prefix[0..<6]) != magic {
            throw IngestError.unknownFormat(file: file, reason: "not a .npy file (no \\x93NUMPY magic)")
        }
        let major = prefix[6]
        var headerLength: Int
        var prefixLength: Int
        switch major {
        case 1:
            headerLength = Int(prefix[8]) | Int(prefix[9]) << 8
            prefixLength = 10
        case 2, 3:
            let more = try prefix.withUnsafeMutableBytes { try source.readBytes(into: UnsafeMutableRawBufferPointer(rebasing: $0[10..<12])) }
            if more < 2 { throw IngestError.truncated(file: file, expectedBytes: 12, gotBytes: Int64(10 + more)) }
            headerLength = Int(prefix[8]) | Int(prefix[9]) << 8 | Int(prefix[10]) << 16 | Int(prefix[11]) << 24
            prefixLength = 12
        default:
            throw IngestError.unsupportedNpy(file: file, field: "version", expected: "1, 2 or 3", got: "\(major).\(prefix[7])")
        }
        if headerLength > 1 << 20 {
            throw IngestError.unknownFormat(file: file, reason: ".npy header claims \(headerLength) bytes")
        }
        var text = [UInt8](repeating: 0, count: headerLength)
        let n = try text.withUnsafeMutableBytes { try source.readBytes(into: $0) }
        if n < headerLength {
            throw IngestError.truncated(file: file, expectedBytes: Int64(prefixLength + headerLength),
                                        gotBytes: Int64(prefixLength + n))
        }
        var parser = DictParser(bytes: text, file: file)
        var header = try parser.parse()
        header.dataOffset = prefixLength + headerLength
        // A shape no file can hold: refused before any size is computed from it (they overflow).
        var elements = 1
        for n in header.shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: n)
            guard !overflow, product <= Self.maximumElements else {
                throw IngestError.unsupportedNpy(file: file, field: "shape", expected: "at most 2^56 elements",
                                                 got: header.shapeText)
            }
            elements = product
        }
        return header
    }

    /// The element type, or `unsupportedNpy` naming the accepted ones.
    func elementType(accepting accepted: [ElementType], file: String) throws -> ElementType {
        if let type = ElementType(rawValue: descr), accepted.contains(type) { return type }
        let names = accepted.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let endian = descr.hasPrefix(">") ? " (big-endian)" : ""
        throw IngestError.unsupportedNpy(file: file, field: "descr", expected: "one of \(names)",
                                         got: "'\(descr)'\(endian)")
    }

    func requireCOrder(file: String) throws {
        if fortranOrder {
            throw IngestError.unsupportedNpy(file: file, field: "fortran_order", expected: "False (C order)",
                                             got: "True; save with np.ascontiguousarray")
        }
    }

    /// The most elements a header may declare (so byte sizes of any element type fit in Int64).
    static let maximumElements = 1 << 56

    var shapeText: String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}

/// Parses the Python dict literal of a `.npy` header: string keys; string, bool and tuple values.
private struct DictParser {
    let bytes: [UInt8]
    let file: String
    var i = 0

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    private func fail(_ what: String) -> IngestError {
        let text = String(decoding: bytes, as: UTF8.self).trimmingSpaces
        return IngestError.unknownFormat(file: file, reason: "malformed .npy header (\(what)): \(text)")
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 32 || bytes[i] == 10 || bytes[i] == 9 || bytes[i] == 13 { i += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws {
        skipSpace()
        guard i < bytes.count, bytes[i] == byte else { throw fail("expected '\(Character(Unicode.Scalar(byte)))'") }
        i += 1
    }

    private mutating func string() throws -> String {
        skipSpace()
        guard i < bytes.count, bytes[i] == 39 || bytes[i] == 34 else { throw fail("expected a quoted string") }
        let quote = bytes[i]
        i += 1
        let begin = i
        while i < bytes.count, bytes[i] != quote { i += 1 }
        guard i < bytes.count else { throw fail("unterminated string") }
        defer { i += 1 }
        return String(decoding: bytes[begin..<i], as: UTF8.self)
    }

    /// A value as raw text for anything but the forms we read.
    private enum Value { case string(String), bool(Bool), tuple([Int]), other(String) }

    private mutating func value() throws -> Value {
        skipSpace()
        guard i < bytes.count else { throw fail("missing value") }
        switch bytes[i] {
        case 39, 34:
            return .string(try string())
        case 40:  // (
            i += 1
            var items: [Int] = []
            while true {
                skipSpace()
                if i < bytes.count && bytes[i] == 41 { i += 1; return .tuple(items) }
                let begin = i
                while i < bytes.count, NumberScanner.isDigit(bytes[i]) { i += 1 }
                guard i > begin, let n = Int(String(decoding: bytes[begin..<i], as: UTF8.self)) else {
                    throw fail("expected a non-negative integer in the shape")
                }
                if i < bytes.count && bytes[i] == 76 { i += 1 }  // Python 2 long suffix
                items.append(n)
                skipSpace()
                if i < bytes.count && bytes[i] == 44 { i += 1 }
            }
        default:
            // True, False, or something else (a list for structured dtypes): keep the text.
            let begin = i
            var depth = 0
            while i < bytes.count {
                let c = bytes[i]
                if c == 91 || c == 40 || c == 123 { depth += 1 }
                if c == 93 || c == 41 || c == 125 {
                    if depth == 0 { break }
                    depth -= 1
                }
                if c == 44 && depth == 0 { break }
                i += 1
            }
            let text = String(decoding: bytes[begin..<i], as: UTF8.self).trimmingSpaces
            if text == "True" { return .bool(true) }
            if text == "False" { return .bool(false) }
            return .other(text)
        }
    }

    mutating func parse() throws -> NpyHeader {
        try expect(123)
        var descr: String?
        var fortran: Bool?
        var shape: [Int]?
        while true {
            skipSpace()
            if i < bytes.count && bytes[i] == 125 { break }
            let key = try string()
            try expect(58)
            let v = try value()
            switch (key, v) {
            case ("descr", .string(let s)): descr = s
            case ("descr", .other(let s)):
                throw IngestError.unsupportedNpy(file: file, field: "descr", expected: "a plain float dtype such as '<f4'", got: s)
            case ("fortran_order", .bool(let b)): fortran = b
            case ("shape", .tuple(let t)): shape = t
            case ("descr", _), ("fortran_order", _), ("shape", _): throw fail("bad value for '\(key)'")
            default: break
            }
            skipSpace()
            if i < bytes.count && bytes[i] == 44 { i += 1 }
        }
        guard let descr, let fortran, let shape else { throw fail("needs 'descr', 'fortran_order' and 'shape'") }
        return NpyHeader(descr: descr, fortranOrder: fortran, shape: shape, dataOffset: 0)
    }
}

extension String {
    /// Without the spaces, tabs and newlines at either end. Ids in text files (ids files,
    /// CSV/TSV columns) are read through it: ` 42` is the id 42.
    var trimmingSpaces: String {
        // Most text has nothing to trim: no copy then.
        let blank: (UInt8) -> Bool = { $0 == 32 || $0 == 9 || $0 == 10 }
        guard let first = utf8.first, let last = utf8.last, blank(first) || blank(last) else { return self }
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\n" || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\n" || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
