import Store

/// A streaming reader of one vectors file (and its ids file, if any).
///
/// Usage: `while try reader.next(into: &batch, maxRows: 8192) { ... }`. Memory stays bounded by
/// the batch and a fixed read buffer whatever the file size.
public protocol VectorReader {
    /// The vectors file.
    var path: String { get }
    /// Components per vector: known after opening for `.npy` and `.fvecs`, after the first row
    /// for text formats (0 before).
    var dimension: Int { get }
    /// Bytes of the vectors file consumed so far (for progress).
    var bytesRead: Int64 { get }
    /// Size of the vectors file (0 when unknown, e.g. a pipe).
    var totalBytes: Int64 { get }
    /// Replaces the contents of `batch` with the next rows, at most `maxRows` of them. Returns
    /// false, with an empty batch, once the file is exhausted. Count mismatches with the ids
    /// file are thrown as soon as either file runs out.
    mutating func next(into batch: inout VectorBatch, maxRows: Int) throws -> Bool
}

/// The vectors file formats.
public enum VectorFormat: String, CaseIterable, Sendable {
    /// NumPy `.npy`, 2-D, C order, '<f4', '<f2' or '<f8'.
    case npy
    /// `.fvecs`: per row an int32 LE dimension, then that many float32 LE.
    case fvecs
    /// TSV/CSV/whitespace text: `id<TAB>v1 v2 ...` or one column per value.
    case delimited
    /// JSON lines: `{"id": ..., "vector": [...], "features": {...}}`.
    case jsonl

    /// The format named by a file's extension: `.npy`, `.fvecs`, `.tsv`/`.csv`/`.txt`,
    /// `.jsonl`/`.ndjson`.
    public init(path: String) throws {
        switch VectorFormat.fileExtension(path) {
        case "npy": self = .npy
        case "fvecs": self = .fvecs
        case "tsv", "csv", "txt": self = .delimited
        case "jsonl", "ndjson": self = .jsonl
        case let other:
            let got = other.isEmpty ? "no extension" : "extension '.\(other)'"
            throw IngestError.unknownFormat(
                file: path, reason: "\(got); expected .npy, .fvecs, .tsv, .csv, .txt, .jsonl or .ndjson (or name the format)")
        }
    }

    /// A format by name as given on a command line: the case names or an extension.
    public init?(name: String) {
        switch name.lowercased() {
        case "npy": self = .npy
        case "fvecs": self = .fvecs
        case "delimited", "tsv", "csv", "txt", "text": self = .delimited
        case "jsonl", "ndjson", "json": self = .jsonl
        default: return nil
        }
    }

    /// The lowercased extension of the last path component, without the dot ("" if none).
    static func fileExtension(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return name[name.index(after: dot)...].lowercased()
    }
}

/// Opens a vectors file.
/// - Parameters:
///   - path: the vectors file.
///   - idsPath: an ids file read in lockstep (text, one id per line, or a 1-D integer `.npy`);
///     without it ids come from the file (text formats' first column, JSONL's "id") or are the
///     0-based row numbers.
///   - format: the format; by default chosen by the extension of `path`.
///   - expectedDimension: when given, every vector must have this many components.
///   - declaredKinds: kinds of JSONL features by name; other features' kinds are inferred.
public func openVectorReader(path: String, idsPath: String? = nil, format: VectorFormat? = nil,
                             expectedDimension: Int? = nil,
                             declaredKinds: [String: FeatureKind] = [:], idColumnOptional: Bool = false) throws -> any VectorReader {
    let chosen = try format ?? VectorFormat(path: path)
    let ids = try idsPath.map { try IDSource(path: $0) }
    switch chosen {
    case .npy:
        return try NpyVectorReader(path: path, ids: ids ?? IDSource(), expectedDimension: expectedDimension)
    case .fvecs:
        return try FvecsVectorReader(path: path, ids: ids ?? IDSource(), expectedDimension: expectedDimension)
    case .delimited:
        return try DelimitedVectorReader(path: path, ids: ids, expectedDimension: expectedDimension, idColumnOptional: idColumnOptional)
    case .jsonl:
        return try JSONLVectorReader(path: path, ids: ids, expectedDimension: expectedDimension,
                                     declaredKinds: declaredKinds)
    }
}

extension IDSource {
    /// The id of the next vector row, or `countMismatch` when the ids file has run out.
    /// `remainingVectors` counts the rows of the vectors file after the current one.
    func idForRow(vectorsFile: String, rowsBefore: Int, remainingVectors: () throws -> Int) throws -> ExternalID {
        if let id = try next() { return id }
        let total = rowsBefore + 1 + (try remainingVectors())
        throw IngestError.countMismatch(idsFile: path ?? "", ids: produced, vectorsFile: vectorsFile, vectors: total)
    }

    /// At the end of the vectors file: `countMismatch` when ids remain.
    func finish(vectorsFile: String, vectors: Int) throws {
        guard let path else { return }
        let extra = try remainingCount()
        if extra > 0 {
            throw IngestError.countMismatch(idsFile: path, ids: produced + extra, vectorsFile: vectorsFile, vectors: vectors)
        }
    }
}
