import Foundation
import Store
import VectorMath

extension ItemCatalog {
    /// This catalogue brought forward by the writes in `changes` (`EmbeddingStore.changeLog`),
    /// reading only the item rows they touched: the same catalogue as `load(reader)` on the
    /// snapshot at `changes.through`, in time proportional to the catalogue's arrays instead
    /// of a read of every item's features. Nil when the changes need a full `load`: a new
    /// feature column, or a snapshot or span other than this catalogue's next one.
    public func updated(_ reader: StoreReader, changes: StoreChanges) throws -> ItemCatalog? {
        try RankingError.wrap {
            let counts = try reader.counts()
            guard changes.after == writeSequence, changes.through == counts.writeSequence, counts.items >= itemCount else { return nil }
            let items = try reader.featureColumns(.item)
            let users = try reader.featureColumns(.user)
            // The same columns (a label count may grow): a new column changes what the model can see.
            func same(_ a: [FeatureColumn], _ b: [FeatureColumn]) -> Bool {
                a.count == b.count && zip(a, b).allSatisfy { $0.number == $1.number && $0.name == $1.name && $0.kind == $1.kind }
            }
            guard same(items, itemColumns), same(users, userColumns) else { return nil }
            let n = counts.items
            let rows = changes.itemRows.filter { Int($0) < n }

            // The touched rows' features, read once.
            let stored = try rows.map { try reader.storedFeatures(row: $0, .item) }

            var indexes: [String: CategoryIndex] = [:]
            for column in items where column.kind == .categorical || column.kind == .multiCategorical {
                guard let old = labelIndexes[column.name] else { return nil }
                var labels = old.labels
                for code in UInt32(labels.count) ..< max(column.labelCount, UInt32(labels.count)) {
                    guard let label = try reader.label(code: code, column: column.number, .item) else {
                        throw StoreError.corruptValue(table: "feature_label_names", reason: "\(column.name) code \(code)")
                    }
                    labels.append(label)
                }
                let codes = stored.map { features -> [UInt32] in
                    for (number, value) in features where number == column.number {
                        switch value {
                        case .categorical(let c): return [c]
                        case .multiCategorical(let cs): return cs
                        default: return []
                        }
                    }
                    return []
                }
                indexes[column.name] = CategoryIndex(updating: old, column: column, labels: labels, itemCount: n, rows: rows, codes: codes)
            }

            // A numeric or timestamp column by row, extended to `n` rows and patched.
            func patched<T>(_ old: [T], column: UInt16, missing: T, _ value: (StoredFeature) -> T?) -> [T] {
                var out = old
                if out.count < n { out += repeatElement(missing, count: n - out.count) }
                for (i, row) in rows.enumerated() {
                    out[Int(row)] = stored[i].first { $0.0 == column }.flatMap { value($0.1) } ?? missing
                }
                return out
            }
            func number(_ v: StoredFeature) -> Float? { if case .numeric(let x) = v { return Float(x) } else { return nil } }
            let numericColumns = self.numericColumns.map {
                NumericColumn(column: $0.column, values: patched($0.values, column: $0.column.number, missing: .nan, number))
            }
            var released = self.released
            if let old = released,
               let column = try ItemCatalog.pick(options.releaseColumn, "releaseColumn", in: items, kinds: [.timestamp], preferred: ["released"]) {
                released = patched(old, column: column.number, missing: HistoryEntry.unknownTime) { v in
                    if case .timestamp(let t) = v { return t } else { return nil }
                }
            }

            // Popularity: the column's values, or the history counts plus the added entries.
            var popularity: [Float]
            var historyCounts = self.historyCounts
            var moved = RowBitmap(rows, capacity: n)
            if let name = popularityColumn {
                guard let column = items.first(where: { $0.name == name }) else { return nil }
                popularity = patched(self.popularity, column: column.number, missing: .nan, number)
            } else {
                guard var counts = historyCounts else { return nil }
                let oldMax = counts.max() ?? 0
                counts += repeatElement(0, count: n - counts.count)
                for item in changes.historyItems where Int(item) < n {
                    counts[Int(item)] += 1
                    moved.insert(item)
                }
                if counts.max() ?? 0 == oldMax && oldMax > 0 {
                    // Same scale: only the moved rows' popularity changes.
                    popularity = self.popularity + repeatElement(0, count: n - self.popularity.count)
                    let top = log(1 + Double(oldMax))
                    for row in moved.rows { popularity[Int(row)] = Float(log(1 + Double(counts[Int(row)])) / top) }
                } else {
                    popularity = ItemCatalog.historyPopularity(counts)
                }
                historyCounts = counts
            }
            for row in itemCount ..< n { moved.insert(UInt32(row)) }
            let order = Self.mergedOrder(popularOrder, moved: moved, popularity: popularity)

            var userLabels = self.userLabels
            for column in users where column.kind == .categorical || column.kind == .multiCategorical {
                var byLabel = userLabels[column.name] ?? [:]
                if byLabel.count < Int(column.labelCount) {
                    for code in UInt32(byLabel.count) ..< column.labelCount {
                        if let label = try reader.label(code: code, column: column.number, .user) { byLabel[label] = code }
                    }
                }
                userLabels[column.name] = byLabel
            }

            let meta = try reader.meta()
            return ItemCatalog(options: options, itemCount: n, userCount: counts.users, meta: meta,
                               writeSequence: counts.writeSequence, itemColumns: items, userColumns: users,
                               categories: categories.flatMap { indexes[$0.column.name] }, labelIndexes: indexes,
                               numericColumns: numericColumns, released: released, popularity: popularity,
                               popularityColumn: popularityColumn, historyCounts: historyCounts, userLabels: userLabels,
                               popularOrder: order)
        }
    }

    /// `old` (sorted by `morePopular` under the previous popularity) with the rows of `moved`
    /// taken out and merged back at their places under `popularity`. The rows that did not
    /// move keep their relative order (a rescale of history popularity is monotone); when
    /// rounding made two of them tie the other way, the whole order is sorted again.
    static func mergedOrder(_ old: [UInt32], moved: RowBitmap, popularity: [Float]) -> [UInt32] {
        let rest = old.filter { !moved.contains($0) }
        for i in rest.indices.dropFirst() where !morePopular(rest[i - 1], rest[i], popularity) {
            return (0 ..< UInt32(popularity.count)).sorted { morePopular($0, $1, popularity) }
        }
        let fresh = moved.rows.sorted { morePopular($0, $1, popularity) }
        var out: [UInt32] = []
        out.reserveCapacity(rest.count + fresh.count)
        var i = 0, j = 0
        while i < rest.count || j < fresh.count {
            if j == fresh.count || (i < rest.count && morePopular(rest[i], fresh[j], popularity)) {
                out.append(rest[i])
                i += 1
            } else {
                out.append(fresh[j])
                j += 1
            }
        }
        return out
    }
}
