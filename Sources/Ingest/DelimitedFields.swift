/// Field splitting for TSV, CSV and whitespace-separated lines.
///
/// The delimiter is a tab if the first line has one, else a comma if it has one, else runs of
/// spaces and tabs (`whitespace`). A field that starts with `"` is quoted: it ends at the next
/// lone `"`, and `""` inside stands for one quote (RFC 4180 within one line).
enum DelimitedFields {
    static let tab: UInt8 = 9
    static let comma: UInt8 = 44
    /// Marker for whitespace-separated lines.
    static let whitespace: UInt8 = 32

    @inline(__always)
    static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 }

    static func detect(_ line: UnsafeRawBufferPointer) -> UInt8 {
        if line.contains(tab) { return tab }
        if line.contains(comma) { return comma }
        return whitespace
    }

    /// The field at `from` and where the next one starts (nil when this was the last field).
    static func field(_ line: UnsafeRawBufferPointer, from: Int, delimiter: UInt8,
                      file: String, lineNumber: Int) throws -> (text: String, next: Int?) {
        var i = from
        let end = line.count
        if delimiter == whitespace { while i < end, isSpace(line[i]) { i += 1 } }
        if i < end && line[i] == 34 {
            var bytes: [UInt8] = []
            i += 1
            while true {
                guard i < end else {
                    throw IngestError.malformed(file: file, location: .line(lineNumber),
                                                reason: "unterminated quoted field at column \(from + 1)")
                }
                if line[i] == 34 {
                    if i + 1 < end && line[i + 1] == 34 { bytes.append(34); i += 2; continue }
                    i += 1
                    break
                }
                bytes.append(line[i])
                i += 1
            }
            while i < end, line[i] == 32 { i += 1 }
            let text = try decode(bytes, file: file, lineNumber: lineNumber)
            if i == end { return (text, nil) }
            guard isDelimiter(line[i], delimiter) else {
                throw IngestError.malformed(file: file, location: .line(lineNumber),
                                            reason: "text after a closing quote at column \(i + 1)")
            }
            return (text, after(line, delimiterAt: i, delimiter))
        }
        let begin = i
        while i < end, !isDelimiter(line[i], delimiter) { i += 1 }
        let text = try decode(UnsafeRawBufferPointer(rebasing: line[begin..<i]), file: file, lineNumber: lineNumber)
        if i == end { return (text, nil) }
        return (text, after(line, delimiterAt: i, delimiter))
    }

    /// All fields of a line.
    static func fields(_ line: UnsafeRawBufferPointer, delimiter: UInt8, file: String, lineNumber: Int) throws -> [String] {
        var out: [String] = []
        var at: Int? = 0
        while let i = at {
            let (text, next) = try field(line, from: i, delimiter: delimiter, file: file, lineNumber: lineNumber)
            if delimiter == whitespace && next == nil && text.isEmpty && !out.isEmpty { break }  // trailing spaces
            out.append(text)
            at = next
        }
        return out
    }

    @inline(__always)
    static func isDelimiter(_ c: UInt8, _ delimiter: UInt8) -> Bool {
        delimiter == whitespace ? isSpace(c) : c == delimiter
    }

    private static func after(_ line: UnsafeRawBufferPointer, delimiterAt i: Int, _ delimiter: UInt8) -> Int? {
        var j = i + 1
        if delimiter == whitespace {
            while j < line.count, isSpace(line[j]) { j += 1 }
            if j == line.count { return nil }
        }
        return j
    }

    static func decode<C: Collection>(_ bytes: C, file: String, lineNumber: Int) throws -> String where C.Element == UInt8 {
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw IngestError.malformed(file: file, location: .line(lineNumber), reason: "text is not valid UTF-8")
        }
        return s
    }
}
