import Store

extension DemoCatalog {
    /// Writes the catalogue straight into a new store at `path` (item row i = item i, user row
    /// u = user u; inner product), with the same features `write(to:)` exports
    /// (`category`, `categories`, `popularity`, `released`, `price`; users `activity`,
    /// `segment`) and the train interactions as histories.
    public func makeStore(at path: String) throws -> EmbeddingStore {
        let store = try EmbeddingStore(path: path, create: true)
        try store.write { w in
            try w.initialize(dimension: spec.dimension, metric: .innerProduct)
            _ = try itemVectors.withUnsafeBufferPointer {
                try w.upsertVectors(.item, ids: (0 ..< spec.items).map(Self.itemID), vectors: $0)
            }
            _ = try userVectors.withUnsafeBufferPointer {
                try w.upsertVectors(.user, ids: (0 ..< spec.users).map(Self.userID), vectors: $0)
            }
            for i in 0 ..< spec.items {
                let names = itemCategories[i].map(Self.categoryName)
                try w.setFeatures(row: UInt32(i), .item, values: [
                    ("category", .categorical(names[0])), ("categories", .multiCategorical(names)),
                    ("popularity", .numeric(itemPopularity[i])), ("released", .timestamp(itemReleased[i])),
                    ("price", .numeric(itemPrice[i])),
                ])
            }
            for u in 0 ..< spec.users {
                try w.setFeatures(row: UInt32(u), .user, values: [
                    ("activity", .numeric(userActivity[u])), ("segment", .categorical(Self.segmentName(userSegment[u]))),
                ])
            }
            var byUser: [Int32: [HistoryEntry]] = [:]
            for e in train { byUser[e.user, default: []].append(HistoryEntry(item: UInt32(e.item), timestamp: e.timestamp)) }
            for (user, entries) in byUser.sorted(by: { $0.key < $1.key }) { try w.appendHistory(user: UInt32(user), entries: entries) }
        }
        return store
    }
}
