import Foundation
import Store
import VectorMath

/// One vectors file to import, with its optional ids file and format.
public struct VectorSource: Sendable {
    public var path: String
    public var idsPath: String?
    public var format: VectorFormat?

    public init(path: String, idsPath: String? = nil, format: VectorFormat? = nil) {
        self.path = path
        self.idsPath = idsPath
        self.format = format
    }
}

/// What `annctl import` asks for: any combination of sources, imported in one transaction.
public struct ImportRequest: Sendable {
    public var items: VectorSource?
    public var users: VectorSource?
    public var itemFeatures: String?
    public var userFeatures: String?
    public var histories: String?
    /// Metric of a new store (default inner product); for an existing store it must match.
    public var metric: Metric?
    /// Declared kinds of feature columns, by name (otherwise inferred from the values).
    public var featureKinds: [String: FeatureKind] = [:]
    public var batchRows = 8192
    /// Draw a progress bar on stderr when it is a terminal.
    public var showProgress = true

    public init() {}
}

/// What an import did, per file.
public struct ImportReport: Sendable {
    public struct FileReport: Sendable {
        public var file: String
        public var what: String
        public var rows = 0
        public var created = 0
        public var seconds = 0.0
        public var rowsPerSecond: Double { seconds > 0 ? Double(rows) / seconds : 0 }
    }

    public var files: [FileReport] = []
    public var seconds = 0.0
    public var counts = StoreCounts()
}

/// Streams trainer output into a store in ONE write transaction: every file of a request lands
/// whole or not at all (a bad row anywhere leaves the store as it was). LMDB spills dirty pages
/// of a large transaction to disk, so memory stays bounded by the batch size.
public struct Importer {
    public let store: EmbeddingStore

    public init(store: EmbeddingStore) { self.store = store }

    /// Runs the import in one write transaction. `beforeCommit`, when given, is called inside
    /// it with the rows of the item vectors the import wrote (new or changed), so indexes built
    /// in the store can take them in the same transaction; its error undoes the whole import.
    public func run(_ request: ImportRequest,
                    beforeCommit: ((StoreWriter, _ itemRows: [UInt32]) throws -> Void)? = nil) throws -> ImportReport {
        let start = Date()
        var report = try store.write { writer -> ImportReport in
            var report = ImportReport()
            var itemRows: [UInt32] = []
            if let items = request.items {
                let (file, rows) = try importVectors(items, .item, writer: writer, request: request)
                report.files.append(file)
                itemRows = rows.rows
            }
            if let users = request.users {
                report.files.append(try importVectors(users, .user, writer: writer, request: request).file)
            }
            if let path = request.itemFeatures {
                report.files.append(try importFeatures(path, .item, writer: writer, request: request))
            }
            if let path = request.userFeatures {
                report.files.append(try importFeatures(path, .user, writer: writer, request: request))
            }
            if let path = request.histories {
                report.files.append(try importHistories(path, writer: writer, request: request))
            }
            report.counts = writer.counts
            if let beforeCommit, !itemRows.isEmpty { try beforeCommit(writer, itemRows) }
            return report
        }
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    // MARK: vectors

    private func importVectors(_ source: VectorSource, _ entity: Entity, writer: StoreWriter,
                               request: ImportRequest) throws -> (file: ImportReport.FileReport, rows: RowBitmap) {
        let start = Date()
        var file = ImportReport.FileReport(file: source.path, what: "\(entity) vectors")
        var reader = try openVectorReader(path: source.path, idsPath: source.idsPath, format: source.format,
                                          expectedDimension: writer.meta?.dimension, declaredKinds: request.featureKinds)
        let progress = request.showProgress ? ProgressBar(label: "\(entity)s", totalBytes: reader.totalBytes) : nil
        defer { progress?.finish() }
        var batch = VectorBatch()
        var seen = RowBitmap()
        let rowsBefore = writer.counts.rows(entity)
        while try reader.next(into: &batch, maxRows: request.batchRows) {
            if writer.meta == nil {
                guard entity == .item || request.metric != nil else { throw IngestError.metricNeeded(file: source.path) }
                try writer.initialize(dimension: batch.dimension, metric: request.metric ?? .innerProduct)
            } else if let metric = request.metric {
                // A --metric that differs from the store's is the request's fault, not a row's.
                try rejectingAt(source.path, nil) { try writer.initialize(dimension: batch.dimension, metric: metric) }
            }
            let rows: [UInt32]
            do {
                rows = try batch.vectors.withUnsafeBufferPointer { try writer.upsertVectors(entity, ids: batch.ids, vectors: $0) }
            } catch let error as StoreError {
                // Name the row: find which one the store refused.
                if case let .nonFiniteValue(_, id, column) = error, let i = batch.ids.firstIndex(of: id) {
                    throw IngestError.nonFinite(file: source.path, location: batch.locations[i], column: column)
                }
                if case let .vectorTooLong(_, id, _) = error, let i = batch.ids.firstIndex(of: id) {
                    throw IngestError.rejected(file: source.path, location: batch.locations[i], reason: error)
                }
                throw IngestError.rejected(file: source.path, location: batch.locations.first, reason: error)
            }
            for (i, row) in rows.enumerated() where !seen.insert(row) {
                throw duplicate(batch.ids[i], at: batch.locations[i], index: file.rows + i, source)
            }
            if let features = batch.features, !features.isEmpty {
                // Only rows that carried features have a record; match them by location.
                let rowAt = Dictionary(uniqueKeysWithValues: zip(batch.locations, rows))
                for record in features where !record.values.isEmpty {
                    guard let row = rowAt[record.location] else { continue }
                    try rejectingAt(source.path, record.location) {
                        try writer.setFeatures(row: row, entity, values: record.values.map { ($0.name, $0.value) })
                    }
                }
            }
            file.rows += batch.count
            progress?.update(bytes: reader.bytesRead, rows: file.rows)
        }
        file.created = writer.counts.rows(entity) - rowsBefore
        file.seconds = Date().timeIntervalSince(start)
        return (file, seen)  // the rows written, new or changed (each once: a repeat is refused)
    }

    /// The error for an id seen a second time at 0-based row `index` of `source`: it names the
    /// ids file (and both of its lines) when the ids came from one, else the vectors file (and
    /// both of its lines or rows).
    @inline(never)
    private func duplicate(_ id: ExternalID, at location: SourceLocation, index: Int, _ source: VectorSource) -> IngestError {
        if let idsPath = source.idsPath, let found = try? IDSource.locate(id, index: index, inIDsFile: idsPath) {
            return .duplicateID(file: idsPath, location: found.at, id: id, first: found.first)
        }
        return .duplicateID(file: source.path, location: location, id: id, first: firstLocation(of: id, before: index, in: source))
    }

    /// Where `id` first appears among the first `index` rows of the vectors file `source`
    /// (whose ids come from the file itself). Reads the file again from its start: for error
    /// messages only.
    private func firstLocation(of id: ExternalID, before index: Int, in source: VectorSource) -> SourceLocation? {
        guard var reader = try? openVectorReader(path: source.path, format: source.format) else { return nil }
        var batch = VectorBatch()
        var position = 0
        while position < index, (try? reader.next(into: &batch, maxRows: 4096)) == true {
            for i in 0..<min(batch.count, index - position) where batch.ids[i] == id { return batch.locations[i] }
            position += batch.count
        }
        return nil
    }

    // MARK: features

    private func importFeatures(_ path: String, _ entity: Entity, writer: StoreWriter,
                                request: ImportRequest) throws -> ImportReport.FileReport {
        let start = Date()
        var file = ImportReport.FileReport(file: path, what: "\(entity) features")
        let reader = try FeatureReader(path: path, declaredKinds: request.featureKinds)
        let progress = request.showProgress ? ProgressBar(label: "\(entity) features", totalBytes: reader.totalBytes) : nil
        defer { progress?.finish() }
        var records: [FeatureRecord] = []
        var seen = RowBitmap()
        let rowsBefore = writer.counts.rows(entity)
        while try reader.next(into: &records, maxRows: request.batchRows) {
            for record in records {
                let row = try rowFor(record.id, entity, createUsers: true, file: path, location: record.location, writer: writer)
                guard seen.insert(row) else {
                    throw IngestError.duplicateID(file: path, location: record.location, id: record.id)
                }
                try rejectingAt(path, record.location) {
                    try writer.setFeatures(row: row, entity, values: record.values.map { ($0.name, $0.value) })
                }
            }
            file.rows += records.count
            progress?.update(bytes: reader.bytesRead, rows: file.rows)
        }
        file.created = writer.counts.rows(entity) - rowsBefore
        file.seconds = Date().timeIntervalSince(start)
        return file
    }

    // MARK: histories

    private func importHistories(_ path: String, writer: StoreWriter, request: ImportRequest) throws -> ImportReport.FileReport {
        let start = Date()
        var file = ImportReport.FileReport(file: path, what: "histories")
        let reader = try HistoryReader(path: path)
        let progress = request.showProgress ? ProgressBar(label: "histories", totalBytes: reader.totalBytes) : nil
        defer { progress?.finish() }
        var records: [HistoryRecord] = []
        let usersBefore = writer.counts.users
        while try reader.next(into: &records, maxRows: request.batchRows) {
            // Group the batch by user so each user's history is rewritten once per batch.
            var byUser: [UInt32: [HistoryEntry]] = [:]
            var order: [UInt32] = []
            for r in records {
                let user = try rowFor(r.user, .user, createUsers: true, file: path, location: r.location, writer: writer)
                let item = try rowFor(r.item, .item, createUsers: false, file: path, location: r.location, writer: writer)
                if byUser[user] == nil { order.append(user) }
                byUser[user, default: []].append(HistoryEntry(item: item, timestamp: r.timestamp ?? HistoryEntry.unknownTime))
            }
            for user in order {
                try rejectingAt(path, nil) { try writer.appendHistory(user: user, entries: byUser[user]!) }
            }
            file.rows += records.count
            progress?.update(bytes: reader.bytesRead, rows: file.rows)
        }
        file.created = writer.counts.users - usersBefore
        file.seconds = Date().timeIntervalSince(start)
        return file
    }

    // MARK: helpers

    /// The row of an id: items must already exist; users are created on first mention (a user
    /// may have features or a history but no embedding).
    private func rowFor(_ id: ExternalID, _ entity: Entity, createUsers: Bool, file: String, location: SourceLocation,
                        writer: StoreWriter) throws -> UInt32 {
        if entity == .user && createUsers {
            return try rejectingAt(file, location) { try writer.resolve(id, .user).row }
        }
        let known = try rejectingAt(file, location) {
            try writer.store.reader(on: writer.transaction).row(of: id, entity)
        }
        guard let row = known else { throw IngestError.unknownID(file: file, location: location, entity: entity, id: id) }
        return row
    }

    /// Turns a store error into an ingest error that names the file and location.
    @discardableResult
    private func rejectingAt<R>(_ file: String, _ location: SourceLocation?, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as StoreError {
            throw IngestError.rejected(file: file, location: location, reason: error)
        }
    }
}
