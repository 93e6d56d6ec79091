import Store

/// One interaction: `user` saw or used `item`, at `timestamp` if the file gives one.
public struct HistoryRecord: Equatable, Sendable {
    public var user: ExternalID
    public var item: ExternalID
    /// Seconds since the Unix epoch.
    public var timestamp: Int64?
    public var location: SourceLocation

    public init(user: ExternalID, item: ExternalID, timestamp: Int64?, location: SourceLocation) {
        self.user = user
        self.item = item
        self.timestamp = timestamp
        self.location = location
    }
}

/// Streams `user item [timestamp]` lines: tab separated if the first line has a tab, comma
/// separated for `.csv` files, else separated by spaces. The timestamp is integer (or decimal)
/// epoch seconds or ISO 8601. A first line such as `user<TAB>item<TAB>timestamp` is a header
/// and is skipped: its first two fields are named like user and item columns, or its third
/// field is not a timestamp. Blank lines are skipped.
public final class HistoryReader {
    public let path: String
    public var bytesRead: Int64 { source.bytesConsumed }
    public var totalBytes: Int64 { source.totalBytes }

    private let source: ByteSource
    private var delimiter: UInt8?

    public init(path: String) throws {
        self.path = path
        source = try ByteSource(path: path, chunkSize: 1 << 20)
    }

    /// Replaces `records` with the next records, at most `maxRows`; false at the end.
    public func next(into records: inout [HistoryRecord], maxRows: Int) throws -> Bool {
        records.removeAll(keepingCapacity: true)
        let limit = max(maxRows, 1)
        while records.count < limit {
            let parsed: HistoryRecord?? = try source.nextLine { line in
                if ByteSource.isBlank(line) { return nil }
                return try parse(line)
            }
            guard let lineResult = parsed else { break }
            if let record = lineResult { records.append(record) }
        }
        return !records.isEmpty
    }

    private static let userNames: Set<String> = ["user", "user_id", "userid", "uid", "users"]
    private static let itemNames: Set<String> = ["item", "item_id", "itemid", "iid", "items"]
    private static let timeNames: Set<String> = ["timestamp", "time", "ts", "t", "date", "datetime", "event_time", "time_stamp"]

    /// A record, or nil for the header.
    private func parse(_ line: UnsafeRawBufferPointer) throws -> HistoryRecord? {
        let lineNumber = source.lineNumber
        let location = SourceLocation.line(lineNumber)
        let isFirst = delimiter == nil
        if isFirst {
            if line.contains(DelimitedFields.tab) {
                delimiter = DelimitedFields.tab
            } else if VectorFormat.fileExtension(path) == "csv" {
                delimiter = DelimitedFields.comma
            } else {
                delimiter = DelimitedFields.whitespace
            }
        }
        let fields = try DelimitedFields.fields(line, delimiter: delimiter!, file: path, lineNumber: lineNumber)
            .map { $0.trimmingSpaces }
        guard fields.count == 2 || fields.count == 3 else {
            throw IngestError.malformed(file: path, location: location,
                                        reason: "line has \(fields.count) fields; expected user, item and an optional timestamp")
        }
        let timestampText = fields.count == 3 ? fields[2] : ""
        let timestamp = timestampText.isEmpty ? nil : HistoryReader.timestamp(Substring(timestampText))
        if isFirst {
            // A header names its columns; a first line that does not is data (and its errors are errors).
            let named = HistoryReader.userNames.contains(fields[0].lowercased())
                && HistoryReader.itemNames.contains(fields[1].lowercased())
            if named || (timestamp == nil && HistoryReader.timeNames.contains(timestampText.lowercased())) { return nil }
        }
        if !timestampText.isEmpty && !(timestamp.map(HistoryEntry.validTimes.contains) ?? false) {
            throw IngestError.typeMismatch(file: path, location: location, field: "timestamp",
                                           expected: "epoch seconds (years 1 to 9999; milliseconds? divide by 1000) or an ISO 8601 date",
                                           got: timestampText.debugDescription)
        }
        return HistoryRecord(user: try id(fields[0], "user", location), item: try id(fields[1], "item", location),
                             timestamp: timestamp, location: location)
    }

    private func id(_ text: String, _ field: String, _ location: SourceLocation) throws -> ExternalID {
        switch ExternalID.parse(text) {
        case .success(let id): return id
        case .failure(let why): throw IngestError.invalidID(file: path, location: location, reason: why)
        }
    }

    static func timestamp(_ text: Substring) -> Int64? {
        if let n = NumberScanner.parseInteger(text) { return n }
        if let t = ISO8601.parse(text) { return t }
        if let d = NumberScanner.parseDecimal(text), d >= -9.2e18, d <= 9.2e18 { return Int64(d.rounded(.down)) }
        return nil
    }
}
