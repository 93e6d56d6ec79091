import Foundation
import Store
import VectorMath

extension ItemCatalog {
    /// Reads the item features (one pass over the item rows) and the column schema from one
    /// snapshot. Column roles follow `options`; a named column that is missing or of the wrong
    /// kind is an error.
    public static func load(_ reader: StoreReader, options: Options = Options()) throws -> ItemCatalog {
        try RankingError.wrap {
            let meta = try reader.meta()
            let counts = try reader.counts()
            let itemColumns = try reader.featureColumns(.item)
            let userColumns = try reader.featureColumns(.user)
            let n = counts.items

            let categoryColumn = try pick(options.categoryColumn, "categoryColumn", in: itemColumns,
                                          kinds: [.multiCategorical, .categorical], preferred: ["categories", "category"])
            let popularityColumn = try pick(options.popularityColumn, "popularityColumn", in: itemColumns,
                                            kinds: [.numeric], preferred: ["popularity"], fallback: false)
            let releaseColumn = try pick(options.releaseColumn, "releaseColumn", in: itemColumns,
                                         kinds: [.timestamp], preferred: ["released"])

            let labelColumns = itemColumns.filter { $0.kind == .categorical || $0.kind == .multiCategorical }
            let numeric = itemColumns.filter { $0.kind == .numeric }
            var slotOfColumn = [Int](repeating: -1, count: (itemColumns.map { Int($0.number) }.max() ?? -1) + 1)
            for (i, c) in labelColumns.enumerated() { slotOfColumn[Int(c.number)] = i }
            for (i, c) in numeric.enumerated() { slotOfColumn[Int(c.number)] = i }

            var codes = [[[UInt32]]](repeating: [[UInt32]](repeating: [], count: n), count: labelColumns.count)
            var values = [[Float]](repeating: [Float](repeating: .nan, count: n), count: numeric.count)
            var released = releaseColumn.map { _ in [Int64](repeating: HistoryEntry.unknownTime, count: n) }
            for row in 0 ..< n {
                for (number, value) in try reader.storedFeatures(row: UInt32(row), .item) {
                    let slot = Int(number) < slotOfColumn.count ? slotOfColumn[Int(number)] : -1
                    switch value {
                    case .categorical(let c): if slot >= 0 { codes[slot][row] = [c] }
                    case .multiCategorical(let cs): if slot >= 0 { codes[slot][row] = cs }
                    case .numeric(let x): if slot >= 0 { values[slot][row] = Float(x) }
                    case .timestamp(let t): if number == releaseColumn?.number { released![row] = t }
                    }
                }
            }

            var indexes: [String: CategoryIndex] = [:]
            for (i, column) in labelColumns.enumerated() {
                let labels = try (0 ..< column.labelCount).map { code -> String in
                    guard let label = try reader.label(code: code, column: column.number, .item) else {
                        throw StoreError.corruptValue(table: "feature_label_names", reason: "\(column.name) code \(code)")
                    }
                    return label
                }
                indexes[column.name] = CategoryIndex(column: column, labels: labels, codesOfRow: codes[i])
            }

            var popularity: ChunkedArray<Float>
            var counted: ChunkedArray<Int32>?
            if let popularityColumn, let slot = numeric.firstIndex(where: { $0.number == popularityColumn.number }) {
                popularity = ChunkedArray(values[slot])
            } else {
                let perItem = ChunkedArray(try historyCounts(reader, items: n, users: counts.users))
                popularity = historyPopularity(perItem)
                counted = perItem
            }
            let numericColumns = zip(numeric, values)
                .filter { $0.0.number != popularityColumn?.number }
                .map { NumericColumn(column: $0.0, values: ChunkedArray($0.1)) }

            var userLabels: [String: [String: UInt32]] = [:]
            for column in userColumns where column.kind == .categorical || column.kind == .multiCategorical {
                var byLabel: [String: UInt32] = [:]
                for code in 0 ..< column.labelCount {
                    if let label = try reader.label(code: code, column: column.number, .user) { byLabel[label] = code }
                }
                userLabels[column.name] = byLabel
            }

            return ItemCatalog(options: options, itemCount: n, userCount: counts.users, meta: meta,
                               writeSequence: counts.writeSequence, itemColumns: itemColumns, userColumns: userColumns,
                               categories: categoryColumn.flatMap { indexes[$0.name] }, labelIndexes: indexes,
                               numericColumns: numericColumns, released: released.map { ChunkedArray($0) }, popularity: popularity,
                               popularityColumn: popularityColumn?.name, historyCounts: counted, userLabels: userLabels)
        }
    }

    /// The category column chosen when none is named: `categories`, else `category`, else the
    /// first multi-categorical, else the first categorical item column (nil: none).
    public static func defaultCategoryColumn(in columns: [FeatureColumn]) -> String? {
        (try? pick(nil, "categoryColumn", in: columns, kinds: [.multiCategorical, .categorical],
                   preferred: ["categories", "category"]))??.name
    }

    /// The column named `name` (which must have one of `kinds`), or without a name the first
    /// of `preferred` present with a right kind, or (with `fallback`) the first column of a right kind.
    static func pick(_ name: String?, _ field: String, in columns: [FeatureColumn], kinds: [FeatureKind],
                     preferred: [String], fallback: Bool = true) throws -> FeatureColumn? {
        if let name {
            guard let column = columns.first(where: { $0.name == name }) else {
                throw RankingError.invalidRequest(field: field, reason: "the store has no item column '\(name)'")
            }
            guard kinds.contains(column.kind) else {
                throw RankingError.invalidRequest(
                    field: field, reason: "item column '\(name)' is \(column.kind), expected \(kinds.map(\.description).joined(separator: " or "))")
            }
            return column
        }
        for p in preferred {
            if let column = columns.first(where: { $0.name == p && kinds.contains($0.kind) }) { return column }
        }
        guard fallback else { return nil }
        for kind in kinds {
            if let column = columns.first(where: { $0.kind == kind }) { return column }
        }
        return nil
    }

    /// How many stored history entries name each item.
    static func historyCounts(_ reader: StoreReader, items: Int, users: Int) throws -> [Int32] {
        var counts = [Int32](repeating: 0, count: items)
        for user in 0 ..< users {
            try reader.withHistory(ofUser: UInt32(user)) { view in
                for entry in view where Int(entry.item) < items { counts[Int(entry.item)] += 1 }
            }
        }
        return counts
    }

    /// `log(1 + count) / log(1 + max count)` of each item.
    static func historyPopularity(_ counts: ChunkedArray<Int32>) -> ChunkedArray<Float> {
        let top = log(1 + Double(counts.max() ?? 0))
        return ChunkedArray(counts.lazy.map { top > 0 ? Float(log(1 + Double($0)) / top) : 0 })
    }
}
