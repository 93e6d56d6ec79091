import VectorMath
import Foundation
import Store
import VectorIndex

/// Item rows by categorical label, per feature column, built on first use by one pass over
/// the item features. After writes through this server, the rows they touched are patched in
/// (`EmbeddingStore.changeLog`); after other writes the column is built again. Shared by the
/// workers of one index generation. A reader older than the cached column uses it as is (its
/// rows that the snapshot does not hold cannot be returned anyway).
final class CategoryBitmaps: @unchecked Sendable {
    private struct Column {
        var writeSequence: UInt64
        var rowsByLabel: [String: RowBitmap]
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
            // In place: the bitmaps are referenced only from here (requests copy them under the lock).
            try Self.patch(&columns[name]!.rowsByLabel, column: name, rows: changes.itemRows, reader: reader)
            columns[name]!.writeSequence = sequence
        } else if (columns[name]?.writeSequence ?? 0) < sequence || columns[name] == nil {
            columns[name] = Column(writeSequence: sequence, rowsByLabel: try Self.build(column: name, reader: reader))
        }
        var out = RowBitmap()
        for label in labels {
            if let rows = columns[name]!.rowsByLabel[label] { out.formUnion(rows) }
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

    /// Moves `rows` (touched by writes) to the labels they hold now.
    private static func patch(_ out: inout [String: RowBitmap], column name: String, rows: [UInt32], reader: StoreReader) throws {
        let column = try column(name, reader: reader)
        for row in rows {
            for label in out.keys where out[label]!.contains(row) { out[label]!.remove(row) }
            for (number, value) in try reader.storedFeatures(row: row, .item) where number == column.number {
                let codes: [UInt32]
                switch value {
                case .categorical(let code): codes = [code]
                case .multiCategorical(let cs): codes = cs
                default: codes = []
                }
                for code in codes {
                    if let label = try reader.label(code: code, column: column.number, .item) { out[label, default: RowBitmap()].insert(row) }
                }
            }
        }
        for (label, bitmap) in out where bitmap.count == 0 { out[label] = nil }
    }

    private static func build(column name: String, reader: StoreReader) throws -> [String: RowBitmap] {
        let column = try column(name, reader: reader)
        let rows = try reader.counts().items
        var byCode: [UInt32: RowBitmap] = [:]
        for row in 0..<UInt32(rows) {
            for (number, value) in try reader.storedFeatures(row: row, .item) where number == column.number {
                switch value {
                case .categorical(let code): byCode[code, default: RowBitmap(capacity: rows)].insert(row)
                case .multiCategorical(let codes):
                    for code in codes { byCode[code, default: RowBitmap(capacity: rows)].insert(row) }
                default: break
                }
            }
        }
        var out: [String: RowBitmap] = [:]
        for (code, bitmap) in byCode {
            if let label = try reader.label(code: code, column: column.number, .item) { out[label] = bitmap }
        }
        return out
    }
}
