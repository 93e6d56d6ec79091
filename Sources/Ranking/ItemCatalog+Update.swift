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
                let codes = stored.map { features in features.first { $0.column == column.number }?.value.labelCodes ?? [] }
                indexes[column.name] = CategoryIndex(updating: old, column: column, labels: labels, itemCount: n, rows: rows, codes: codes)
            }

            // A numeric or timestamp column by row, extended to `n` rows and patched.
            // Chunked: the copy shares every chunk that no touched row falls in.
            func patched<T>(_ old: ChunkedArray<T>, column: UInt16, missing: T, _ value: (StoredFeature) -> T?) -> ChunkedArray<T> {
                var out = old
                if out.count < n { out.append(repeating: missing, count: n - out.count) }
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
            var popularity: ChunkedArray<Float>
            var sameScale = true
            var historyCounts = self.historyCounts
            var historyMax = self.historyMax
            // Rows whose place in the popularity order may change: new rows, and those whose
            // popularity did (a write of other features leaves the order as it is).
            var moved = Set<UInt32>()
            if let name = popularityColumn {
                guard let column = items.first(where: { $0.name == name }) else { return nil }
                popularity = patched(self.popularity, column: column.number, missing: .nan, number)
                for row in rows where Int(row) < itemCount && popularity[Int(row)].bitPattern != self.popularity[Int(row)].bitPattern {
                    moved.insert(row)
                }
            } else {
                guard var counts = historyCounts else { return nil }
                let oldMax = historyMax
                counts.append(repeating: 0, count: n - counts.count)
                for item in changes.historyItems where Int(item) < n {
                    counts[Int(item)] += 1
                    historyMax = max(historyMax, counts[Int(item)])  // counts only grow
                    moved.insert(item)
                }
                if historyMax == oldMax {
                    // Same scale: only the moved rows' popularity changes (none while no item
                    // has a history entry: every popularity is 0, new rows' too).
                    popularity = self.popularity
                    popularity.append(repeating: 0, count: n - popularity.count)
                    if oldMax > 0 {
                        let top = log(1 + Double(oldMax))
                        for row in moved { popularity[Int(row)] = Float(log(1 + Double(counts[Int(row)])) / top) }
                    }
                } else {
                    popularity = ItemCatalog.historyPopularity(counts)
                    sameScale = false
                }
                historyCounts = counts
            }
            for row in itemCount ..< n { moved.insert(UInt32(row)) }
            let order = Self.mergedOrder(popularOrder, moved: moved, before: self.popularity, popularity: popularity, sameScale: sameScale)

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
                               popularityColumn: popularityColumn, historyCounts: historyCounts, historyMax: historyMax,
                               userLabels: userLabels, popularOrder: order)
        }
    }

    /// `old` (sorted by `morePopular` under `before`) with the rows of `moved` taken out and
    /// put back at their places under `popularity`: the order a full sort would give. When only
    /// the moved rows' values changed (`sameScale`), the others keep their places and each moved
    /// row is found and placed by binary search (`PopularityOrder.move`, chunks it touches
    /// only); otherwise (a rescale of history popularity, monotone) the rest is filtered and
    /// checked, and sorted again when rounding made two of its rows tie the other way.
    static func mergedOrder(_ old: PopularityOrder, moved: Set<UInt32>, before: ChunkedArray<Float>, popularity: ChunkedArray<Float>,
                            sameScale: Bool) -> PopularityOrder {
        if moved.count == 0 && sameScale { return old }  // nothing moved: the same chunks, not a copy
        let fresh = moved.sorted { morePopular($0, $1, popularity) }
        if sameScale {
            var order = old
            // Rows past `before` are new: in no old place.
            let present = fresh.filter { Int($0) < before.count }
            if order.move(taking: present, placing: fresh, before: { morePopular($0, $1, before) },
                          after: { morePopular($0, $1, popularity) }) {
                return order
            }
            return PopularityOrder(popularOrder(popularity))
        }
        let rest = old.filter { !moved.contains($0) }
        for i in rest.indices.dropFirst() where !morePopular(rest[i - 1], rest[i], popularity) {
            return PopularityOrder(popularOrder(popularity))
        }
        var out: [UInt32] = []
        out.reserveCapacity(rest.count + fresh.count)
        var start = 0
        for row in fresh {
            let i = rest[start...].partitionPoint { morePopular($0, row, popularity) }
            out.append(contentsOf: rest[start ..< i])
            out.append(row)
            start = i
        }
        out.append(contentsOf: rest[start...])
        return PopularityOrder(out)
    }
}
