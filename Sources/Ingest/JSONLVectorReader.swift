import Store

/// Reads JSON lines: `{"id": 12 or "sku-1", "vector": [...], "features": {...}}` per line.
///
/// "id" is optional: without it (and without an ids file) the id is the 0-based record number;
/// then no record may carry one (and when the first does, every record must).
/// With an ids file, records must not carry "id". Features are the members of "features" plus
/// any other member except "id" and "vector" (see `FeatureConversion` for kinds); they go to
/// `batch.features`. Blank lines are skipped.
public final class JSONLVectorReader: VectorReader {
    public let path: String
    public private(set) var dimension = 0
    public var bytesRead: Int64 { source.bytesConsumed }
    public var totalBytes: Int64 { source.totalBytes }
    /// Kinds for named features; others are inferred.
    public var declaredKinds: [String: FeatureKind]

    private let source: ByteSource
    private let ids: IDSource?
    /// Whether the first record carried an "id", and where it was.
    private var firstRecord: (carriesID: Bool, location: SourceLocation)?
    private let expectedDimension: Int?
    private var rows = 0
    private var finished = false

    init(path: String, ids: IDSource?, expectedDimension: Int?, declaredKinds: [String: FeatureKind] = [:]) throws {
        self.path = path
        self.ids = ids
        self.expectedDimension = expectedDimension
        self.declaredKinds = declaredKinds
        source = try ByteSource(path: path)
    }

    public func next(into batch: inout VectorBatch, maxRows: Int) throws -> Bool {
        batch.removeAll(keepingCapacity: true)
        batch.dimension = dimension
        if batch.features == nil { batch.features = [] }
        let limit = max(maxRows, 1)
        while batch.count < limit && !finished {
            let before = batch.vectors.count
            let parsed: JSONLRow?? = try source.nextLine { line in
                if ByteSource.isBlank(line) { return nil }
                var scanner = JSONScanner(bytes: line, file: path, line: source.lineNumber)
                return try JSONLRow.parse(&scanner, readVector: true, vectors: &batch.vectors, declaredKinds: declaredKinds)
            }
            guard let lineResult = parsed else {
                finished = true
                try ids?.finish(vectorsFile: path, vectors: rows)
                break
            }
            guard let row = lineResult else { continue }
            let location = SourceLocation.line(source.lineNumber)
            guard let count = row.vectorCount else {
                throw IngestError.malformed(file: path, location: location, reason: "object has no \"vector\"")
            }
            try batch.checkAppendedRow(from: before, count: count, dimension: &dimension, expected: expectedDimension,
                                       file: path, location: location, emptyReason: "\"vector\" is empty")
            let id: ExternalID
            if let ids {
                if row.id != nil {
                    throw IngestError.malformed(file: path, location: location,
                                                reason: "record has an \"id\" but ids come from \(ids.path ?? "the ids file")")
                }
                id = try ids.idForRow(vectorsFile: path, rowsBefore: rows) { try source.countRemainingNonBlankLines() }
            } else {
                // Every record carries an id, or none does (then ids are record numbers): a mix
                // would give a record without one the number of another's row, silently.
                let carries = row.id != nil
                if let first = firstRecord, first.carriesID != carries {
                    throw IngestError.malformed(file: path, location: location, reason: carries
                        ? "record has an \"id\" but the first record (\(first.location)) has none: give every record an id, or none"
                        : "record has no \"id\" but the first record (\(first.location)) has one: give every record an id, or none")
                }
                if firstRecord == nil { firstRecord = (carries, location) }
                id = row.id ?? .number(UInt64(rows))
            }
            batch.ids.append(id)
            batch.locations.append(location)
            if !row.features.isEmpty {
                batch.features!.append(FeatureRecord(id: id, values: row.features, location: location))
            }
            rows += 1
        }
        return batch.count > 0
    }
}
