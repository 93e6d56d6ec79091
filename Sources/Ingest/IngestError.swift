import Store

/// Where in a file something was found: a 1-based line of a text file or a 0-based row of a
/// binary file.
public enum SourceLocation: Equatable, Hashable, Sendable, CustomStringConvertible {
    case line(Int)
    case row(Int)

    public var description: String {
        switch self {
        case .line(let n): return "line \(n)"
        case .row(let n): return "row \(n)"
        }
    }
}

/// Everything that can go wrong while reading trainer output. Every case names the file and,
/// where it applies, the line or row, the field, and what was expected against what was found.
public enum IngestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or inspected (missing, a directory, no permission).
    case cannotOpen(file: String, reason: String)
    /// A read(2) on an open file failed.
    case readFailed(file: String, reason: String)
    /// The format could not be chosen (unknown extension) or the file is not of its format.
    case unknownFormat(file: String, reason: String)
    /// A `.npy` header field holds something this reader does not take (dtype, order, rank).
    case unsupportedNpy(file: String, field: String, expected: String, got: String)
    /// The text or bytes at `location` do not follow the format.
    case malformed(file: String, location: SourceLocation, reason: String)
    /// A vector's length differs from the first vector's (or from the expected dimension).
    case dimensionMismatch(file: String, location: SourceLocation, expected: Int, got: Int)
    /// A NaN or infinity at vector component `column` (0-based).
    case nonFinite(file: String, location: SourceLocation, column: Int)
    /// An id that `ExternalID.parse` refuses.
    case invalidID(file: String, location: SourceLocation, reason: ExternalID.ParseFailure)
    /// The file is shorter than its header (or its row size) says.
    case truncated(file: String, expectedBytes: Int64, gotBytes: Int64)
    /// The file ends inside the row at `location`, which starts at byte `offset`: the row needs
    /// `expectedBytes`, the file holds `gotBytes` of them.
    case truncatedRow(file: String, location: SourceLocation, offset: Int64, expectedBytes: Int, gotBytes: Int)
    /// A `.npy` file ends before the rows its header declares: `declared` rows of `rowBytes`
    /// bytes from `dataOffset`, `fileBytes` in the file.
    case truncatedRows(file: String, declared: Int, rowBytes: Int, dataOffset: Int64, fileBytes: Int64)
    /// The ids file and the vectors file hold different numbers of rows.
    case countMismatch(idsFile: String, ids: Int, vectorsFile: String, vectors: Int)
    /// A value of the wrong type: a JSON id that is a float or null, a feature that cannot be
    /// read as its declared kind.
    case typeMismatch(file: String, location: SourceLocation, field: String, expected: String, got: String)
    /// An id that appears twice in one file (the importer's check); `first` is where it was
    /// first seen, when known.
    case duplicateID(file: String, location: SourceLocation, id: ExternalID, first: SourceLocation? = nil)
    /// A feature column whose kind the file's header and the declared kinds (`--feature-kind`)
    /// give differently.
    case kindConflict(file: String, location: SourceLocation, column: String, header: FeatureKind, declared: FeatureKind)
    /// A features or history row naming an item the store does not hold.
    case unknownID(file: String, location: SourceLocation, entity: Entity, id: ExternalID)
    /// The store refused a row (dimension or metric of an existing store, kind of a feature column...).
    case rejected(file: String, location: SourceLocation?, reason: StoreError)
    /// User vectors would be the empty store's first vectors, and no `--metric` was given: the
    /// first vectors fix the metric for good, and an item's default (ip) is no user's to choose.
    case metricNeeded(file: String)

    public var description: String {
        switch self {
        case .cannotOpen(let file, let reason):
            return "\(file): cannot open: \(reason)"
        case .readFailed(let file, let reason):
            return "\(file): read failed: \(reason)"
        case .unknownFormat(let file, let reason):
            return "\(file): unknown format: \(reason)"
        case .unsupportedNpy(let file, let field, let expected, let got):
            return "\(file): unsupported .npy header field '\(field)': expected \(expected), got \(got)"
        case .malformed(let file, let location, let reason):
            return "\(file), \(location): \(reason)"
        case .dimensionMismatch(let file, let location, let expected, let got):
            return "\(file), \(location): vector has \(got) components, expected \(expected)"
        case .nonFinite(let file, let location, let column):
            return "\(file), \(location): vector component \(column) (0-based) is NaN or infinite"
        case .invalidID(let file, let location, let reason):
            return "\(file), \(location): invalid id: \(reason)"
        case .truncated(let file, let expected, let got):
            return "\(file): truncated: expected \(expected) bytes, file has \(got)"
        case .truncatedRow(let file, let location, let offset, let expected, let got):
            return "\(file), \(location) (at byte offset \(offset)): truncated: the row needs \(expected) bytes, the file has \(got) of them"
        case let .truncatedRows(file, declared, rowBytes, dataOffset, fileBytes):
            let data = max(0, fileBytes - dataOffset)
            let complete = Int(data / Int64(rowBytes)), partial = Int(data % Int64(rowBytes))
            let cut = partial > 0 ? "inside row \(complete) (0-based; \(partial) of its \(rowBytes) bytes)" : "after row \(complete - 1) (0-based)"
            let missing = declared - complete == 1 ? "row \(complete) is" : "rows \(complete) to \(declared - 1) (\(declared - complete) rows) are"
            return "\(file): truncated: the header declares \(declared) rows of \(rowBytes) bytes from byte offset \(dataOffset); "
                + "the file ends at byte \(fileBytes), \(complete == 0 && partial == 0 ? "before row 0" : cut), so \(missing) missing or incomplete"
        case .countMismatch(let idsFile, let ids, let vectorsFile, let vectors):
            return "ids file \(idsFile) has \(ids) ids but vectors file \(vectorsFile) has \(vectors) vectors"
        case .typeMismatch(let file, let location, let field, let expected, let got):
            return "\(file), \(location): field '\(field)': expected \(expected), got \(got)"
        case .duplicateID(let file, let location, let id, let first):
            return "\(file), \(location): id '\(id)' appears a second time in this file" + (first.map { " (first at \($0))" } ?? "")
        case .kindConflict(let file, let location, let column, let header, let declared):
            return "\(file), \(location): column '\(column)' is \(header) in the header but declared \(declared) (--feature-kind): give one kind, or the same in both"
        case .unknownID(let file, let location, let entity, let id):
            return "\(file), \(location): unknown \(entity) id '\(id)' (import the \(entity)s first)"
        case .metricNeeded(let file):
            return "\(file): the store is empty and these are user vectors: the first vectors fix the store's metric for good, "
                + "so name it with --metric (ip, cosine or l2), or import item vectors first (they default to ip)"
        case .rejected(let file, let location, let reason):
            return "\(file)\(location.map { ", \($0)" } ?? ""): \(reason)"
        }
    }
}
