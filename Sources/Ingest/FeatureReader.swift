import Store

/// The feature file formats.
public enum FeatureFormat: String, CaseIterable, Sendable {
    /// `{"id": ..., "features": {...}}` or flat `{"id": ..., "category": ...}` per line.
    case jsonl
    /// CSV/TSV with a header `id,name[:kind],...`.
    case delimited

    /// By extension: `.jsonl`/`.ndjson`, or `.csv`/`.tsv`/`.txt`.
    public init(path: String) throws {
        switch VectorFormat.fileExtension(path) {
        case "jsonl", "ndjson": self = .jsonl
        case "csv", "tsv", "txt": self = .delimited
        case let other:
            throw IngestError.unknownFormat(
                file: path, reason: "extension '.\(other)'; expected .jsonl, .ndjson, .csv, .tsv or .txt for features")
        }
    }
}

/// Streams feature records of items or users.
///
/// JSONL: every object needs "id" (a string id is taken exactly); its features are the members
/// of "features" plus every other member except "id" and "vector". CSV/TSV: the first non-blank
/// line is the header `id,name[:kind],...` (kinds by `FeatureKind(name:)`), the first column
/// holds the ids (spaces and tabs around one are not part of it), and every line has as many
/// fields as the header. Kinds declared in the header or in
/// `declaredKinds` coerce values (a column that both name must get the same kind from both:
/// `kindConflict`); other kinds are inferred (see `FeatureConversion`). Blank lines are skipped.
public final class FeatureReader {
    public let path: String
    public let format: FeatureFormat
    public var bytesRead: Int64 { source.bytesConsumed }
    public var totalBytes: Int64 { source.totalBytes }

    private let source: ByteSource
    private var kinds: [String: FeatureKind]
    private var columns: [String]?
    private var columnKinds: [FeatureKind?] = []
    private var delimiter: UInt8 = DelimitedFields.comma

    public init(path: String, format: FeatureFormat? = nil, declaredKinds: [String: FeatureKind] = [:]) throws {
        self.path = path
        self.format = try format ?? FeatureFormat(path: path)
        kinds = declaredKinds
        source = try ByteSource(path: path, chunkSize: 1 << 20)
    }

    /// The feature columns of a CSV/TSV file (without the id column), once the header is read.
    public var columnNames: [String]? { columns.map { Array($0.dropFirst()) } }

    /// Replaces `records` with the next records, at most `maxRows`; false at the end.
    public func next(into records: inout [FeatureRecord], maxRows: Int) throws -> Bool {
        records.removeAll(keepingCapacity: true)
        let limit = max(maxRows, 1)
        while records.count < limit {
            let parsed: FeatureRecord?? = try source.nextLine { line in
                if ByteSource.isBlank(line) { return nil }
                return format == .jsonl ? try parseJSON(line) : try parseDelimited(line)
            }
            guard let lineResult = parsed else { break }
            if let record = lineResult { records.append(record) }
        }
        return !records.isEmpty
    }

    private func parseJSON(_ line: UnsafeRawBufferPointer) throws -> FeatureRecord {
        var scanner = JSONScanner(bytes: line, file: path, line: source.lineNumber)
        var unused: [Float] = []
        let row = try JSONLRow.parse(&scanner, readVector: false, vectors: &unused, declaredKinds: kinds)
        let location = SourceLocation.line(source.lineNumber)
        guard let id = row.id else {
            throw IngestError.malformed(file: path, location: location, reason: "object has no \"id\"")
        }
        return FeatureRecord(id: id, values: row.features, location: location)
    }

    /// A data line, or nil for the header.
    private func parseDelimited(_ line: UnsafeRawBufferPointer) throws -> FeatureRecord? {
        let lineNumber = source.lineNumber
        let location = SourceLocation.line(lineNumber)
        guard let columns else {
            try readHeader(line)
            return nil
        }
        let cells = try DelimitedFields.fields(line, delimiter: delimiter, file: path, lineNumber: lineNumber)
        if cells.count != columns.count {
            throw IngestError.malformed(file: path, location: location,
                                        reason: "line has \(cells.count) fields, the header has \(columns.count)")
        }
        let id: ExternalID
        switch ExternalID.parse(cells[0].trimmingSpaces) {
        case .success(let parsed): id = parsed
        case .failure(let why): throw IngestError.invalidID(file: path, location: location, reason: why)
        }
        let conversion = FeatureConversion(file: path, location: location)
        var values: [FeatureField] = []
        values.reserveCapacity(cells.count - 1)
        for k in 1..<cells.count {
            if let v = try conversion.value(text: Substring(cells[k].trimmingSpaces), field: columns[k], declared: columnKinds[k]) {
                values.append(FeatureField(name: columns[k], value: v))
            }
        }
        return FeatureRecord(id: id, values: values, location: location)
    }

    private func readHeader(_ line: UnsafeRawBufferPointer) throws {
        let lineNumber = source.lineNumber
        delimiter = DelimitedFields.detect(line)
        let fields = try DelimitedFields.fields(line, delimiter: delimiter, file: path, lineNumber: lineNumber)
        var names: [String] = []
        var declared: [FeatureKind?] = []
        for (k, field) in fields.enumerated() {
            var name = field.trimmingSpaces
            var kind: FeatureKind?
            if k > 0, let colon = name.lastIndex(of: ":") {
                let kindName = String(name[name.index(after: colon)...])
                guard let parsed = FeatureKind(name: kindName) else {
                    throw IngestError.malformed(
                        file: path, location: .line(lineNumber),
                        reason: "header column '\(field)' names unknown kind '\(kindName)'; expected categorical (cat), multi (multi-categorical), numeric (num) or timestamp (time)")
                }
                kind = parsed
                name = String(name[..<colon])
            }
            if name.isEmpty {
                throw IngestError.malformed(file: path, location: .line(lineNumber), reason: "header column \(k + 1) has no name")
            }
            if names.contains(name) {
                throw IngestError.malformed(file: path, location: .line(lineNumber), reason: "header names column '\(name)' twice")
            }
            if let kind, let option = kinds[name], option != kind {
                throw IngestError.kindConflict(file: path, location: .line(lineNumber), column: name, header: kind, declared: option)
            }
            names.append(name)
            declared.append(kinds[name] ?? kind)
        }
        columns = names
        columnKinds = declared
    }
}
