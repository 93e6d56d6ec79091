import VectorMath
import Foundation
import Store
import VectorIndex

/// Item rows by categorical label, per feature column, built on first use by one pass over
/// the item features and rebuilt after writes (keyed by the store's write sequence). Shared
/// by the workers of one index generation.
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
        if columns[name]?.writeSequence != sequence {
            columns[name] = Column(writeSequence: sequence, rowsByLabel: try Self.build(column: name, reader: reader))
        }
        var out = RowBitmap()
        for label in labels {
            if let rows = columns[name]!.rowsByLabel[label] { out.formUnion(rows) }
        }
        return out
    }

    private static func build(column name: String, reader: StoreReader) throws -> [String: RowBitmap] {
        guard let column = try reader.featureColumns(.item).first(where: { $0.name == name }) else {
            throw ServerError.badRequest("filter: items have no feature column '\(name)'")
        }
        guard column.kind == .categorical || column.kind == .multiCategorical else {
            throw ServerError.badRequest("filter: item feature '\(name)' is \(column.kind), not categorical")
        }
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
