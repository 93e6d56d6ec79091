import Store

/// Reads vectors from TSV, CSV or whitespace-separated text.
///
/// Lines are `id<TAB>v1 v2 ...` (values space separated in one field) or one column per value
/// (the delimiter, tab, comma or whitespace, is detected from the first line). Without an ids
/// file the first column is the id; with one, every column is a value. The first non-blank line
/// is a header, and skipped, when its id field is empty or a column name (`id`, `item_id`, ...:
/// pandas' `to_csv` writes `id,0,1,2` or `,0,1,2`), or when it has values and none is a number.
/// A file that holds nothing but a header is an error, and so is an id written as a decimal
/// number (`1.0e+00`: a matrix without an id column). With `idColumnOptional` (query files,
/// whose ids are not used) a first line of exactly `expectedDimension` numbers means the file
/// has no id column. Spaces and tabs around an id are not part of it. Blank lines are skipped;
/// lines are counted from 1 including them.
public final class DelimitedVectorReader: VectorReader {
    public let path: String
    public private(set) var dimension = 0
    public var bytesRead: Int64 { source.bytesConsumed }
    public var totalBytes: Int64 { source.totalBytes }

    private let source: ByteSource
    private let ids: IDSource?
    private let expectedDimension: Int?
    private var delimiter: UInt8?
    private var rows = 0
    private var finished = false
    /// Whether the first column holds ids (false with an ids file, or an id-less query file).
    private var idColumn: Bool
    private let idColumnOptional: Bool
    /// The line skipped as a header, if any.
    private var headerLine: Int?

    private static let idNames: Set<String> = ["", "id", "ids", "item", "item_id", "itemid", "user", "user_id", "userid", "key", "index"]

    init(path: String, ids: IDSource?, expectedDimension: Int?, idColumnOptional: Bool = false) throws {
        self.path = path
        self.ids = ids
        self.expectedDimension = expectedDimension
        idColumn = ids == nil
        self.idColumnOptional = idColumnOptional && ids == nil && expectedDimension != nil
        source = try ByteSource(path: path)
    }

    public func next(into batch: inout VectorBatch, maxRows: Int) throws -> Bool {
        batch.removeAll(keepingCapacity: true)
        batch.dimension = dimension
        batch.features = nil
        let limit = max(maxRows, 1)
        while batch.count < limit && !finished {
            let before = batch.vectors.count
            let parsed: (id: ExternalID?, count: Int)?? = try source.nextLine { line in
                if ByteSource.isBlank(line) { return nil }
                return try parse(line, into: &batch.vectors)
            }
            guard let lineResult = parsed else {
                finished = true
                if rows == 0, let headerLine {
                    throw IngestError.malformed(file: path, location: .line(headerLine),
                                                reason: "the file holds only this line, read as a header (no number among its values): no vectors")
                }
                try ids?.finish(vectorsFile: path, vectors: rows)
                break
            }
            guard let (fileID, count) = lineResult else { continue }
            let location = SourceLocation.line(source.lineNumber)
            try batch.checkAppendedRow(from: before, count: count, dimension: &dimension, expected: expectedDimension,
                                       file: path, location: location, emptyReason: "line has an id but no values")
            let id: ExternalID
            if let ids {
                id = try ids.idForRow(vectorsFile: path, rowsBefore: rows) { try source.countRemainingNonBlankLines() }
            } else {
                id = fileID ?? .number(UInt64(rows))
            }
            batch.ids.append(id)
            batch.locations.append(location)
            rows += 1
        }
        return batch.count > 0
    }

    /// Parses one non-blank line: its id (nil with an ids file) and the number of values
    /// appended. Returns nil for a header line.
    private func parse(_ line: UnsafeRawBufferPointer, into vectors: inout [Float]) throws -> (id: ExternalID?, count: Int)? {
        let lineNumber = source.lineNumber
        let isFirst = delimiter == nil
        if isFirst { delimiter = DelimitedFields.detect(line) }
        let delimiter = self.delimiter!
        if isFirst && idColumnOptional {
            var probe: [Float] = []
            let all = (try? scanValues(line, from: 0, delimiter: delimiter, into: &probe, lineNumber: lineNumber)) ?? -1
            if all == expectedDimension { idColumn = false }
        }
        var valuesStart = 0
        var idText: String?
        if idColumn {
            let (text, next) = try DelimitedFields.field(line, from: 0, delimiter: delimiter, file: path, lineNumber: lineNumber)
            idText = text.trimmingSpaces
            valuesStart = next ?? line.count
        }
        if isFirst && isHeader(line, idText: idText, from: valuesStart, delimiter: delimiter) {
            headerLine = lineNumber
            return nil
        }
        var id: ExternalID?
        if let idText {
            switch ExternalID.parse(idText) {
            case .success(let parsed): id = parsed
            case .failure(let why): throw IngestError.invalidID(file: path, location: .line(lineNumber), reason: why)
            }
            if case .string = id, Self.isDecimalNumber(idText) {
                throw IngestError.malformed(file: path, location: .line(lineNumber), reason:
                    "the id '\(idText.prefix(40))' is a decimal number: has the file no id column? Give the ids in a file (--item-ids / --user-ids), then every column is a value")
            }
        }
        let count = try scanValues(line, from: valuesStart, delimiter: delimiter, into: &vectors, lineNumber: lineNumber)
        return (id, count)
    }

    /// Appends the numbers of `line[from...]`; returns how many.
    private func scanValues(_ line: UnsafeRawBufferPointer, from: Int, delimiter: UInt8,
                            into vectors: inout [Float], lineNumber: Int) throws -> Int {
        let end = line.count
        var i = from
        var count = 0
        let commas = delimiter == DelimitedFields.comma
        while true {
            while i < end, line[i] == 32 || (!commas && line[i] == 9) { i += 1 }
            if i == end {
                if commas && count > 0 { throw notANumber(line, at: i, component: count, lineNumber) }
                return count
            }
            guard let (value, next) = NumberScanner.scanFloat(line, from: i, end: end),
                  next == end || DelimitedFields.isSpace(line[next]) || line[next] == delimiter else {
                throw notANumber(line, at: i, component: count, lineNumber)
            }
            vectors.append(value)
            count += 1
            i = next
            if commas {
                while i < end, line[i] == 32 { i += 1 }
                if i == end { return count }
                guard line[i] == DelimitedFields.comma else { throw notANumber(line, at: i, component: count, lineNumber) }
                i += 1
            }
        }
    }

    private func notANumber(_ line: UnsafeRawBufferPointer, at i: Int, component: Int, _ lineNumber: Int) -> IngestError {
        var j = i
        while j < line.count, !DelimitedFields.isSpace(line[j]), line[j] != DelimitedFields.comma { j += 1 }
        let token = String(decoding: UnsafeRawBufferPointer(rebasing: line[i..<j]), as: UTF8.self)
        let what = token.isEmpty ? "an empty field" : "'\(token.prefix(40))'"
        return IngestError.malformed(file: path, location: .line(lineNumber),
                                     reason: "vector component \(component) (at byte \(i + 1) of the line) is \(what), not a number")
    }

    /// True for text a float parser reads whole that has a point or an exponent: `1.5`, `1e3`,
    /// `1.000e+00` (not `007`, a string id).
    static func isDecimalNumber(_ text: String) -> Bool {
        guard text.utf8.contains(where: { $0 == 46 || $0 == 101 || $0 == 69 }) else { return false }
        var text = text
        return text.withUTF8 { utf8 in
            let raw = UnsafeRawBufferPointer(utf8)
            guard let (_, next) = NumberScanner.scanFloat(raw, from: 0, end: raw.count) else { return false }
            return next == raw.count
        }
    }

    /// True when the id field names a column, or when the line has values and none is a number.
    private func isHeader(_ line: UnsafeRawBufferPointer, idText: String?, from: Int, delimiter: UInt8) -> Bool {
        if let idText, Self.idNames.contains(idText.lowercased()) { return true }
        var i = from
        let end = line.count
        var fields = 0
        while i < end {
            while i < end, DelimitedFields.isSpace(line[i]) || line[i] == delimiter { i += 1 }
            if i == end { break }
            if let (_, next) = NumberScanner.scanFloat(line, from: i, end: end),
               next == end || DelimitedFields.isSpace(line[next]) || line[next] == delimiter {
                return false
            }
            fields += 1
            while i < end, !DelimitedFields.isSpace(line[i]), line[i] != delimiter { i += 1 }
        }
        return fields > 0
    }
}
