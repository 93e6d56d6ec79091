import LMDB

extension StoreWriter {
    /// Sets features of one row. A column is created with the kind of its first value and keeps
    /// it; categorical labels get per-column codes. Columns not named keep their stored values.
    public func setFeatures(row: UInt32, _ entity: Entity, values: [(name: String, value: FeatureValue)]) throws {
        guard Int(row) < counts.rows(entity) else { throw StoreError.unknownInternalID(entity, row) }
        var merged: [UInt16: StoredFeature] = [:]
        let key = KeyCodec.rowKey(row)
        let table = store.table(.features(entity))
        if let old = try transaction.bytes(forKey: key, in: table) {
            guard let decoded = old.withUnsafeBytes({ FeatureRecordCodec.decode($0) }) else {
                throw StoreError.corruptValue(table: table.name, reason: "feature record of row \(row)")
            }
            for (c, v) in decoded { merged[c] = v }
        }
        for (name, value) in values {
            var column = try column(named: name, entity, kind: value.kind)
            let stored: StoredFeature
            switch value {
            case .categorical(let label): stored = .categorical(try code(of: label, in: &column))
            case .multiCategorical(let labels):
                var codes: [UInt32] = []
                var seen = Set<UInt32>()
                for label in labels {
                    let c = try code(of: label, in: &column)
                    if seen.insert(c).inserted { codes.append(c) }
                }
                guard codes.count <= FeatureRecordCodec.maximumLabels else {
                    throw StoreError.tooManyLabels(entity, column: name, count: codes.count, maximum: FeatureRecordCodec.maximumLabels)
                }
                stored = .multiCategorical(codes)
            case .numeric(let x): stored = .numeric(x)
            case .timestamp(let t): stored = .timestamp(t)
            }
            merged[column.number] = stored
        }
        let record = FeatureRecordCodec.encode(merged.map { ($0.key, $0.value) })
        try transaction.put(record, forKey: key, in: table)
        if entity == .item { noteChange(row) }
    }

    /// Every feature column of `entity`, by name (read once per writer).
    public func columns(_ entity: Entity) throws -> [String: FeatureColumn] {
        if let cached = columnCache?[entity] { return cached }
        let loaded = try StoreReader(store: store, transaction: transaction).featureColumns(entity)
        var byName: [String: FeatureColumn] = [:]
        for c in loaded { byName[c.name] = c }
        if columnCache == nil { columnCache = [:] }
        columnCache![entity] = byName
        return byName
    }

    private func column(named name: String, _ entity: Entity, kind: FeatureKind) throws -> FeatureColumn {
        var all = try columns(entity)
        if let existing = all[name] {
            guard existing.kind == kind else {
                throw StoreError.featureKindMismatch(entity, column: name, expected: existing.kind, got: kind)
            }
            return existing
        }
        guard !name.isEmpty, name.utf8.count <= 200, !name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw StoreError.invalidFeatureName(name)
        }
        guard all.count < Int(UInt16.max) else { throw StoreError.tooManyFeatureColumns(entity) }
        let column = FeatureColumn(entity: entity, name: name, number: UInt16(all.count), kind: kind, labelCount: 0)
        try save(column)
        all[name] = column
        columnCache![entity] = all
        return column
    }

    private func save(_ column: FeatureColumn) throws {
        try transaction.put(column.encodedValue(), forKey: KeyCodec.columnKey(column.entity, name: column.name),
                            in: store.table(.featureColumns))
        columnCache?[column.entity]?[column.name] = column
    }

    /// The code of a categorical label in `column`, assigning the next code to a new label.
    private func code(of label: String, in column: inout FeatureColumn) throws -> UInt32 {
        let key = KeyCodec.labelKey(column.entity, column: column.number, label: label)
        if let bytes = try transaction.bytes(forKey: key, in: store.table(.featureLabels)) {
            guard let code = bytes.withUnsafeBytes({ KeyCodec.decode(UInt32.self, $0) }) else {
                throw StoreError.corruptValue(table: "feature_labels", reason: "code of '\(label)'")
            }
            return code
        }
        let code = column.labelCount
        try transaction.put(KeyCodec.encode(code), forKey: key, in: store.table(.featureLabels))
        try transaction.put(Array(label.utf8), forKey: KeyCodec.labelNameKey(column.entity, column: column.number, code: code),
                            in: store.table(.featureLabelNames))
        column.labelCount += 1
        try save(column)
        return code
    }

    // MARK: histories

    /// Adds interactions to a user's history (kept sorted by time; exact repeats are dropped).
    public func appendHistory(user row: UInt32, entries: [HistoryEntry]) throws {
        guard Int(row) < counts.users else { throw StoreError.unknownInternalID(.user, row) }
        for e in entries where Int(e.item) >= counts.items { throw StoreError.unknownInternalID(.item, e.item) }
        let key = KeyCodec.rowKey(row)
        let table = store.table(.userHistory)
        let before = try key.withUnsafeBytes { k in
            try transaction.withValue(forKey: k, in: table) { v in v.map { Array(HistoryView(bytes: $0)) } ?? [] }
        }
        var all = before + entries
        all.sort()
        var unique: [HistoryEntry] = []
        unique.reserveCapacity(all.count)
        for e in all where unique.last != e { unique.append(e) }
        try transaction.put(HistoryView.encode(unique), forKey: key, in: table)
        // What was added: the merged list minus what was there (both sorted, unique).
        var j = 0
        for e in unique {
            while j < before.count && before[j] < e { j += 1 }
            if j < before.count && before[j] == e { j += 1 } else { noteChange(e.item, history: true) }
        }
    }
}
