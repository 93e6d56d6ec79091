import VectorMath
import Foundation
import Store
import VectorIndex

/// Item rows by categorical label, per feature column (`LabelRows`: a list or a bitmap, the
/// smaller), built on first use by one pass over the item features. After writes through this server, the rows they touched are patched in
/// (`EmbeddingStore.changeLog`); after other writes the column is built again. Shared by the
/// workers of one index generation. A reader older than the cached column uses it as is (its
/// rows that the snapshot does not hold cannot be returned anyway).
final class CategoryBitmaps: @unchecked Sendable {
    private struct Column {
        var writeSequence: UInt64
        var rowsByLabel: [String: LabelRows]
        /// Item rows when built or last patched (a dense label's bitmap covers them).
        var itemCount: Int
    }

    private let lock = NSLock()
    private var columns: [String: Column] = [:]

    /// The rows whose column `name` holds any of `labels` (categorical or multi-categorical).
    func rows(column name: String, labels: [String], reader: StoreReader) throws -> RowBitmap {
        let sequence = try reader.writeSequence()
        lock.lock()
        defer { lock.unlock() }
        if let cached = columns[name]?.writeSequence, cached < sequence,
           let changes = reader.store.changeLog.changes(after: cached, through: sequence) {
            // In place: the label rows are referenced only from here (requests copy them under the lock).
            let items = try reader.counts().items
            try Self.patch(&columns[name]!.rowsByLabel, column: name, rows: changes.itemRows, items: items, reader: reader)
            columns[name]!.writeSequence = sequence
            columns[name]!.itemCount = items
        } else if (columns[name]?.writeSequence ?? 0) < sequence || columns[name] == nil {
            let items = try reader.counts().items
            columns[name] = Column(writeSequence: sequence, rowsByLabel: try Self.build(column: name, items: items, reader: reader),
                                   itemCount: items)
        }
        var out = RowBitmap(capacity: columns[name]!.itemCount)
        for label in labels {
            columns[name]!.rowsByLabel[label]?.add(to: &out)
        }
        return out
    }

    private static func column(_ name: String, reader: StoreReader) throws -> FeatureColumn {
        guard let column = try reader.featureColumns(.item).first(where: { $0.name == name }) else {
            throw ServerError.badRequest("filter: items have no feature column '\(name)'")
        }
        guard column.kind == .categorical || column.kind == .multiCategorical else {
            throw ServerError.badRequest("filter: item feature '\(name)' is \(column.kind), not categorical")
        }
        return column
    }

    /// Moves `rows` (touched by writes) to the labels they hold now. Each row is looked for in
    /// every label (the column keeps no labels per row): O(labels) per touched row.
    private static func patch(_ out: inout [String: LabelRows], column name: String, rows: [UInt32], items: Int,
                              reader: StoreReader) throws {
        let column = try column(name, reader: reader)
        for row in rows {
            for label in out.keys where out[label]!.contains(row) { out[label]!.remove(row) }
            for (number, value) in try reader.storedFeatures(row: row, .item) where number == column.number {
                for code in value.labelCodes {
                    if let label = try reader.label(code: code, column: column.number, .item) {
                        out[label, default: .sparse([])].insert(row, items: items)
                    }
                }
            }
        }
        for (label, rows) in out where rows.count == 0 { out[label] = nil }
    }

    private static func build(column name: String, items: Int, reader: StoreReader) throws -> [String: LabelRows] {
        let column = try column(name, reader: reader)
        var byCode: [UInt32: [UInt32]] = [:]
        for row in 0 ..< UInt32(items) {
            for (number, value) in try reader.storedFeatures(row: row, .item) where number == column.number {
                for code in value.labelCodes { byCode[code, default: []].append(row) }  // rows increase: lists stay sorted
            }
        }
        var out: [String: LabelRows] = [:]
        for (code, rows) in byCode {
            if let label = try reader.label(code: code, column: column.number, .item) { out[label] = LabelRows(rows, items: items) }
        }
        return out
    }
}

/// One label's rows in the smaller of two forms: a sorted list while the label holds at most
/// one row in 32 (4 bytes a row), a bitmap above that (1 bit per catalogue row). So a column's
/// memory is bounded by 4 bytes per (row, label) pair, however many labels it has; one bitmap
/// per label would cost labels x rows / 8 bytes (1.25 GB for 10,000 labels over 1M items).
enum LabelRows {
    case sparse([UInt32])
    case dense(RowBitmap)

    init(_ sorted: [UInt32], items: Int) {
        self = Self.isDense(sorted.count, items: items) ? .dense(RowBitmap(sorted, capacity: items)) : .sparse(sorted)
    }

    static func isDense(_ count: Int, items: Int) -> Bool { count * 32 > items }

    var count: Int {
        switch self {
        case .sparse(let rows): return rows.count
        case .dense(let bitmap): return bitmap.count
        }
    }

    func contains(_ row: UInt32) -> Bool {
        switch self {
        case .sparse(let rows):
            let i = rows.partitionPoint { $0 < row }
            return i < rows.count && rows[i] == row
        case .dense(let bitmap): return bitmap.contains(row)
        }
    }

    /// Adds these rows to `out`.
    func add(to out: inout RowBitmap) {
        switch self {
        case .sparse(let rows): for row in rows { out.insert(row) }
        case .dense(let bitmap): out.formUnion(bitmap)
        }
    }

    mutating func insert(_ row: UInt32, items: Int) {
        switch self {
        case .sparse(var rows):
            self = .sparse([])  // `rows` is then the list's only reference: edited in place
            let i = rows.partitionPoint { $0 < row }
            if i == rows.count || rows[i] != row { rows.insert(row, at: i) }
            self = Self.isDense(rows.count, items: items) ? .dense(RowBitmap(rows, capacity: items)) : .sparse(rows)
        case .dense(var bitmap):
            self = .sparse([])
            bitmap.insert(row)
            self = .dense(bitmap)
        }
    }

    mutating func remove(_ row: UInt32) {
        switch self {
        case .sparse(var rows):
            self = .sparse([])
            let i = rows.partitionPoint { $0 < row }
            if i < rows.count && rows[i] == row { rows.remove(at: i) }
            self = .sparse(rows)
        case .dense(var bitmap):
            self = .sparse([])
            bitmap.remove(row)
            self = .dense(bitmap)
        }
    }
}
