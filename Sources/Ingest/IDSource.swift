import Store

/// Where a vector reader takes its ids from when the vectors file does not carry them: 0-based
/// row numbers, a text file with one id per line (spaces and tabs around it are not part of
/// it), or a 1-D integer `.npy`. Files are streamed in lockstep with the vectors.
final class IDSource {
    private enum Kind {
        case rowNumbers
        case text(ByteSource)
        case npy(ByteSource, NpyHeader.ElementType, total: Int)
    }

    private let kind: Kind
    /// The ids file, or nil for row numbers.
    let path: String?
    /// Ids handed out so far.
    private(set) var produced = 0
    private var scratch: [UInt8] = []
    private var scratchStart = 0
    private var scratchEnd = 0

    /// Row numbers 0, 1, 2, ...
    init() {
        kind = .rowNumbers
        path = nil
    }

    /// Opens an ids file: `.npy` by extension, otherwise text.
    init(path: String) throws {
        self.path = path
        let source = try ByteSource(path: path, chunkSize: 1 << 20)
        if VectorFormat.fileExtension(path) == "npy" {
            let header = try NpyHeader.read(from: source)
            let type = try header.elementType(accepting: [.int64, .uint64, .int32, .uint32], file: path)
            try header.requireCOrder(file: path)
            guard header.shape.count == 1 || (header.shape.count == 2 && header.shape[1] == 1) else {
                throw IngestError.unsupportedNpy(file: path, field: "shape", expected: "a 1-D array (n,)",
                                                 got: header.shapeText)
            }
            let total = header.shape[0]
            let expected = Int64(header.dataOffset) + Int64(total) * Int64(type.size)
            if source.totalBytes < expected {
                throw IngestError.truncated(file: path, expectedBytes: expected, gotBytes: source.totalBytes)
            }
            kind = .npy(source, type, total: total)
            scratch = [UInt8](repeating: 0, count: 1 << 16)
        } else {
            kind = .text(source)
        }
    }

    /// The number of ids, when the file says so up front (`.npy`).
    var knownTotal: Int? {
        if case .npy(_, _, let total) = kind { return total }
        return nil
    }

    /// The next id, or nil when the ids file is exhausted (never for row numbers).
    func next() throws -> ExternalID? {
        switch kind {
        case .rowNumbers:
            defer { produced += 1 }
            return .number(UInt64(produced))
        case .text(let source):
            return try nextText(source)
        case .npy(let source, let type, let total):
            if produced >= total { return nil }
            return try nextNpy(source, type, total: total)
        }
    }

    /// Where the id last handed out was: its line in a text file, its row in a `.npy` (or the
    /// row number itself).
    var lastLocation: SourceLocation {
        if case .text(let source) = kind { return .line(source.lineNumber) }
        return .row(produced - 1)
    }

    /// Where the id at 0-based position `index` of the ids file `path` is, and where `id` first
    /// appears before it (nil if it does not). Reads the file again from its start: for error
    /// messages only.
    static func locate(_ id: ExternalID, index: Int, inIDsFile path: String) throws -> (at: SourceLocation, first: SourceLocation?)? {
        let ids = try IDSource(path: path)
        var first: SourceLocation?
        for position in 0...index {
            guard let next = try ids.next() else { return nil }
            if position == index { return next == id ? (ids.lastLocation, first) : nil }
            if next == id && first == nil { first = ids.lastLocation }
        }
        return nil
    }

    /// Counts the ids not yet handed out (reads the rest of a text file).
    func remainingCount() throws -> Int {
        switch kind {
        case .rowNumbers: return 0
        case .text(let source): return try source.countRemainingNonBlankLines()
        case .npy(_, _, let total): return total - produced
        }
    }

    private func nextText(_ source: ByteSource) throws -> ExternalID? {
        var firstBlank: Int?
        while true {
            let parsed: Result<ExternalID, ExternalID.ParseFailure>?? = try source.nextLine { line in
                if ByteSource.isBlank(line) { return .none }
                guard let text = String(validating: line, as: UTF8.self) else {
                    throw IngestError.malformed(file: source.path, location: .line(source.lineNumber),
                                                reason: "id is not valid UTF-8")
                }
                return .some(ExternalID.parse(text.trimmingSpaces))
            }
            guard let lineResult = parsed else { return nil }  // end of file: trailing blanks are fine
            guard let result = lineResult else {
                if firstBlank == nil { firstBlank = source.lineNumber }
                continue
            }
            if let blank = firstBlank {
                throw IngestError.invalidID(file: source.path, location: .line(blank), reason: .empty)
            }
            switch result {
            case .success(let id):
                produced += 1
                return id
            case .failure(let why):
                throw IngestError.invalidID(file: source.path, location: .line(source.lineNumber), reason: why)
            }
        }
    }

    private func nextNpy(_ source: ByteSource, _ type: NpyHeader.ElementType, total: Int) throws -> ExternalID {
        let size = type.size
        if scratchStart == scratchEnd {
            let wanted = min(scratch.count / size, total - produced) * size
            let got = try scratch.withUnsafeMutableBytes {
                try source.readBytes(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<wanted]))
            }
            if got < wanted {
                let expected = Int64(source.bytesConsumed - Int64(got)) + Int64(total - produced) * Int64(size)
                throw IngestError.truncated(file: source.path, expectedBytes: expected, gotBytes: source.bytesConsumed)
            }
            scratchStart = 0
            scratchEnd = got
        }
        let offset = scratchStart
        scratchStart += size
        let row = produced
        produced += 1
        return try scratch.withUnsafeBytes { raw -> ExternalID in
            switch type {
            case .uint64: return .number(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            case .uint32: return .number(UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))))
            case .int64, .int32:
                let value = type == .int64
                    ? Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int64.self))
                    : Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                if value < 0 {
                    throw IngestError.invalidID(file: source.path, location: .row(row), reason: .negativeOrSigned(String(value)))
                }
                return .number(UInt64(value))
            default:
                throw IngestError.unsupportedNpy(file: source.path, field: "descr", expected: "an integer dtype", got: type.rawValue)
            }
        }
    }
}
