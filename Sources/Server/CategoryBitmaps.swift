import VectorMath
import Foundation
import Store
import VectorIndex

/// Item rows by categorical label, per feature column (`LabelRows`: a list or a bitmap, the
/// smaller), built on first use by one pass over the item features, with each row's label code
/// (4 bytes a row). After writes through this server, the rows they touched are patched in
/// (`EmbeddingStore.changeLog`); after other writes the column is built again. Shared by the
/// workers of one index generation. A reader older than the cached column uses it as is (its
/// rows that the snapshot does not hold cannot be returned anyway).
final class CategoryBitmaps: @unchecked Sendable {
    private struct Column {
        var writeSequence: UInt64
        var rowsByLabel: [String: LabelRows]
        /// Item rows when built or last patched (a dense label's bitmap covers them).
        var itemCount: Int
        /// Each row's label code (`noLabel`, or `severalLabels` for a row with more than one),
        /// so that a patch finds the label a row leaves without looking through every label.
        var rowCodes: ChunkedArray<UInt32>
        var labelOfCode: [UInt32: String]
    }
    static let noLabel = UInt32.max, severalLabels = UInt32.max - 1

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
            try Self.patch(&columns[name]!, column: name, rows: changes.itemRows, items: items, reader: reader)
            columns[name]!.writeSequence = sequence
            columns[name]!.itemCount = items
        } else if (columns[name]?.writeSequence ?? 0) < sequence || columns[name] == nil {
            columns[name] = try Self.build(column: name, items: try reader.counts().items, sequence: sequence, reader: reader)
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

    /// What `rowCodes` holds for a row whose codes so far gave `current`, once it also has `code`.
    private static func rowCode(_ current: UInt32, adding code: UInt32) -> UInt32 {
        current == noLabel ? code : severalLabels
    }

    /// Moves `rows` (touched by writes) to the labels they hold now: out of the label its code
    /// names (a row with several labels is looked for in every label: O(labels), the case of
    /// multi-valued columns, which have few), into the labels it holds now.
    private static func patch(_ out: inout Column, column name: String, rows: [UInt32], items: Int,
                              reader: StoreReader) throws {
        let column = try column(name, reader: reader)
        var left: [String] = []
        for row in rows {
            let old = Int(row) < out.rowCodes.count ? out.rowCodes[Int(row)] : noLabel
            if old == severalLabels {
                var i = out.rowsByLabel.values.startIndex
                while i != out.rowsByLabel.values.endIndex {
                    if out.rowsByLabel.values[i].contains(row) {
                        out.rowsByLabel.values[i].remove(row)
                        left.append(out.rowsByLabel.keys[i])
                    }
                    out.rowsByLabel.values.formIndex(after: &i)
                }
            } else if old != noLabel, let label = out.labelOfCode[old] {
                out.rowsByLabel[label]?.remove(row)
                left.append(label)
            }
            var code = noLabel
            for (number, value) in try reader.storedFeatures(row: row, .item) where number == column.number {
                for c in value.labelCodes {
                    let label: String
                    if let known = out.labelOfCode[c] {
                        label = known
                    } else if let named = try reader.label(code: c, column: column.number, .item) {
                        label = named
                        out.labelOfCode[c] = named
                    } else {
                        continue
                    }
                    out.rowsByLabel[label, default: .sparse([])].insert(row, items: items)
                    code = rowCode(code, adding: c)
                }
            }
            if Int(row) >= out.rowCodes.count { out.rowCodes.append(repeating: noLabel, count: Int(row) + 1 - out.rowCodes.count) }
            out.rowCodes[Int(row)] = code
        }
        for label in left where out.rowsByLabel[label]?.count == 0 { out.rowsByLabel[label] = nil }
    }

    private static func build(column name: String, items: Int, sequence: UInt64, reader: StoreReader) throws -> Column {
        let column = try column(name, reader: reader)
        var byCode: [UInt32: [UInt32]] = [:]
        var rowCodes = ChunkedArray<UInt32>()
        for row in 0 ..< UInt32(items) {
            var code = noLabel
            for (number, value) in try reader.storedFeatures(row: row, .item) where number == column.number {
                for c in value.labelCodes {
                    byCode[c, default: []].append(row)  // rows increase: lists stay sorted
                    code = rowCode(code, adding: c)
                }
            }
            rowCodes.append(code)
        }
        var rowsByLabel: [String: LabelRows] = [:], labelOfCode: [UInt32: String] = [:]
        for (code, rows) in byCode {
            if let label = try reader.label(code: code, column: column.number, .item) {
                rowsByLabel[label] = LabelRows(rows, items: items)
                labelOfCode[code] = label
            }
        }
        return Column(writeSequence: sequence, rowsByLabel: rowsByLabel, itemCount: items, rowCodes: rowCodes,
                      labelOfCode: labelOfCode)
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
