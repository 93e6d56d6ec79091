import LMDB

extension StoreReader {
    /// The feature columns of `entity`, ordered by number.
    public func featureColumns(_ entity: Entity) throws -> [FeatureColumn] {
        var columns: [FeatureColumn] = []
        try transaction.withCursor(store.table(.featureColumns)) { cursor in
            try cursor.forEach(prefix: [entity.rawValue]) { entry in
                guard let (e, name) = KeyCodec.decodeColumnKey(entry.key),
                      let column = FeatureColumn(entity: e, name: name, value: entry.value) else {
                    throw StoreError.corruptValue(table: "feature_columns", reason: "entry of \(entry.key.count) bytes")
                }
                columns.append(column)
                return true
            }
        }
        return columns.sorted { $0.number < $1.number }
    }

    /// The stored (coded) features of a row; empty when it has none.
    public func storedFeatures(row: UInt32, _ entity: Entity) throws -> [(column: UInt16, value: StoredFeature)] {
        try KeyCodec.withRowKey(row) { k in
            try transaction.withValue(forKey: k, in: store.table(.features(entity))) { v in
                guard let v else { return [] }
                guard let decoded = FeatureRecordCodec.decode(v) else {
                    throw StoreError.corruptValue(table: StoreLayout.Table.features(entity).rawValue, reason: "row \(row)")
                }
                return decoded
            }
        }
    }

    /// The label of a categorical code.
    public func label(code: UInt32, column: UInt16, _ entity: Entity) throws -> String? {
        try transaction.bytes(forKey: KeyCodec.labelNameKey(entity, column: column, code: code),
                              in: store.table(.featureLabelNames)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The code of a categorical label, or nil when the column never saw it.
    public func code(ofLabel label: String, column: UInt16, _ entity: Entity) throws -> UInt32? {
        try transaction.bytes(forKey: KeyCodec.labelKey(entity, column: column, label: label),
                              in: store.table(.featureLabels)).flatMap { $0.withUnsafeBytes { KeyCodec.decode(UInt32.self, $0) } }
    }

    /// The features of a row with labels spelled out, by column name.
    public func features(row: UInt32, _ entity: Entity) throws -> [String: FeatureValue] {
        let columns = Dictionary(uniqueKeysWithValues: try featureColumns(entity).map { ($0.number, $0) })
        var out: [String: FeatureValue] = [:]
        for (number, value) in try storedFeatures(row: row, entity) {
            guard let column = columns[number] else {
                throw StoreError.corruptValue(table: "feature_columns", reason: "column \(number) of \(entity) missing")
            }
            func name(_ code: UInt32) throws -> String {
                guard let l = try label(code: code, column: number, entity) else {
                    throw StoreError.corruptValue(table: "feature_label_names", reason: "\(column.name) code \(code)")
                }
                return l
            }
            switch value {
            case .categorical(let c): out[column.name] = .categorical(try name(c))
            case .multiCategorical(let cs): out[column.name] = .multiCategorical(try cs.map(name))
            case .numeric(let x): out[column.name] = .numeric(x)
            case .timestamp(let t): out[column.name] = .timestamp(t)
            }
        }
        return out
    }

    /// Calls `body` with a zero-copy view of a user's history (empty when there is none).
    public func withHistory<R>(ofUser row: UInt32, _ body: (HistoryView) throws -> R) throws -> R {
        try KeyCodec.withRowKey(row) { k in
            try transaction.withValue(forKey: k, in: store.table(.userHistory)) { v in
                let bytes = v ?? UnsafeRawBufferPointer(start: nil, count: 0)
                guard bytes.count % HistoryEntry.encodedSize == 0 else {
                    throw StoreError.corruptValue(table: "user_history", reason: "user row \(row): \(bytes.count) bytes")
                }
                return try body(HistoryView(bytes: bytes))
            }
        }
    }

    /// A copy of a user's history, oldest first.
    public func history(ofUser row: UInt32) throws -> [HistoryEntry] {
        try withHistory(ofUser: row) { Array($0) }
    }
}
