import Foundation
import Logging
import Store
import VectorMath
import Wire

/// The one writer: upsert and delete, each in one LMDB write transaction, one at a time.
/// After a commit it brings the ranking stage's shared catalogue forward (`didCommit`), bumps
/// the epoch (workers renew their snapshots before their next request, so a query answered
/// after the write's reply sees it) and opens the index when the write brought the first vectors.
final class WriteExecutor: @unchecked Sendable {
    private let lock = NSLock()
    unowned let core: ServingCore
    var limits: ServerLimits { core.configuration.limits }

    init(core: ServingCore) {
        self.core = core
    }

    func upsert(_ r: Ann_V1_UpsertRequest) throws -> Ann_V1_WriteReply {
        let records = r.items.count + r.users.count + r.histories.reduce(0) { $0 + max(1, $1.interactions.count) }
        guard records > 0 else { throw ServerError.badRequest("upsert holds no items, users or histories") }
        try limits.check("records in one upsert", records, max: limits.maxWriteRecords)
        var metric: Metric?
        if !r.metric.isEmpty {
            guard let m = Metric(rawValue: r.metric) else { throw ServerError.badRequest("upsert.metric '\(r.metric)': expected ip, cosine or l2") }
            metric = m
        }
        let items = try r.items.enumerated().map { try PreparedRecord($1, field: "upsert.items[\($0)]", limits: limits) }
        let users = try r.users.enumerated().map { try PreparedRecord($1, field: "upsert.users[\($0)]", limits: limits) }
        let histories = try r.histories.enumerated().map { i, h -> (ExternalID, [(ExternalID, Int64)]) in
            let user = try IDConversion.external(h.user, "upsert.histories[\(i)].user")
            let entries = try h.interactions.enumerated().map { j, e in
                (try IDConversion.external(e.item, "upsert.histories[\(i)].interactions[\(j)].item"),
                 e.hasTime ? try PreparedRecord.time(e.time, "upsert.histories[\(i)].interactions[\(j)].time") : HistoryEntry.unknownTime)
            }
            return (user, entries)
        }
        var newColumns: [Entity: [String]] = [:]
        let sequence = try commit { w, changes in
            let known = try Self.columnNames(w, items: items, users: users)
            try Self.initialize(w, metric: metric, itemDimension: items.first { !$0.vector.isEmpty }?.vector.count,
                                userDimension: users.first { !$0.vector.isEmpty }?.vector.count)
            for record in items {
                let row = try record.apply(w, .item)
                if !record.vector.isEmpty { changes.upserted.append(row) }
            }
            for record in users { try record.apply(w, .user) }
            let reader = w.store.reader(on: w.transaction)
            for (user, entries) in histories {
                let row = try w.resolve(user, .user).row
                let resolved = try entries.map { item, time -> HistoryEntry in
                    guard let itemRow = try reader.row(of: item, .item) else { throw ServerError.unknownID(.item, item.description) }
                    return HistoryEntry(item: itemRow, timestamp: time)
                }
                try w.appendHistory(user: row, entries: resolved)
            }
            newColumns = [.item: Self.newColumns(items, known: known[.item]), .user: Self.newColumns(users, known: known[.user])]
        }
        for (entity, names) in newColumns where !names.isEmpty {
            core.logger.notice("upsert (write \(sequence)) created \(entity) feature columns: \(names.joined(separator: ", "))")
        }
        var reply = Ann_V1_WriteReply()
        reply.writeSequence = sequence
        // Distinct ids: a record repeated in one upsert is one item (the last one wins).
        reply.items = UInt32(Set(items.map(\.id)).count)
        reply.users = UInt32(Set(users.map(\.id)).count)
        reply.histories = UInt32(histories.count)
        reply.newItemColumns = newColumns[.item] ?? []
        reply.newUserColumns = newColumns[.user] ?? []
        return reply
    }

    /// The feature column names the store holds before a write, for the entities whose
    /// records name features (none read otherwise).
    private static func columnNames(_ w: StoreWriter, items: [PreparedRecord], users: [PreparedRecord]) throws -> [Entity: Set<String>] {
        var names: [Entity: Set<String>] = [:]
        for (entity, records) in [(Entity.item, items), (.user, users)] where records.contains(where: { !$0.features.isEmpty }) {
            names[entity] = Set(try w.columns(entity).keys)  // the writer's cache, which the write then uses
        }
        return names
    }

    /// Feature names of `records` that were not columns before the write: the write created
    /// them (a failing write creates nothing), sorted.
    private static func newColumns(_ records: [PreparedRecord], known: Set<String>?) -> [String] {
        guard let known else { return [] }
        return Set(records.flatMap { $0.features.map(\.name) }).subtracting(known).sorted()
    }

    func delete(_ r: Ann_V1_DeleteRequest) throws -> Ann_V1_WriteReply {
        let total = r.items.count + r.users.count
        guard total > 0 else { throw ServerError.badRequest("delete names no items or users") }
        try limits.check("ids in one delete", total, max: limits.maxWriteRecords)
        let items = try r.items.enumerated().map { try IDConversion.external($1, "delete.items[\($0)]") }
        let users = try r.users.enumerated().map { try IDConversion.external($1, "delete.users[\($0)]") }
        let sequence = try commit { w, changes in
            let reader = w.store.reader(on: w.transaction)
            for (entity, ids) in [(Entity.item, items), (.user, users)] {
                for id in ids {
                    guard let row = try reader.row(of: id, entity) else { throw ServerError.unknownID(entity, id.description) }
                    try w.removeVector(row: row, entity)
                    if entity == .item { changes.deleted.append(row) }
                }
            }
        }
        var reply = Ann_V1_WriteReply()
        reply.writeSequence = sequence
        reply.items = UInt32(Set(items).count)
        reply.users = UInt32(Set(users).count)
        return reply
    }

    /// Runs `body` in one write transaction of the current store; returns the new write sequence.
    /// Item rows whose vectors a write set or removed: the served index applies them in the
    /// same transaction, so it never lags the store.
    struct IndexChanges {
        var upserted: [UInt32] = []
        var deleted: [UInt32] = []
    }

    private func commit(_ body: (StoreWriter, inout IndexChanges) throws -> Void) throws -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        let g = core.box.generation
        let sequence = try g.store.write { w -> UInt64 in
            var changes = IndexChanges()
            try body(w, &changes)
            if let index = g.index, !changes.upserted.isEmpty || !changes.deleted.isEmpty {
                try index.applyWrites(upserted: changes.upserted, deleted: changes.deleted, in: w)
            }
            return w.counts.writeSequence + 1
        }
        if let index = g.index {
            // The write is committed whatever happens here; a failure leaves the work to the next reader.
            do {
                try core.configuration.recommendHandler.didCommit(store: g.store, index: index)
            } catch {
                core.logger.error("write \(sequence): ranking catalogue not brought forward (the next request will): \(error)")
            }
        }
        core.box.bumpEpoch()
        if g.index == nil { try core.reload(reason: "first vectors written") }
        return sequence
    }

    /// On an empty store, the first upsert with vectors fixes the dimension and the metric:
    /// `metric`, else ip when it carries item vectors. User vectors alone do not choose the
    /// metric by default (it decides how items are searched, and cosine normalises every
    /// vector as it is stored, so it cannot change later): such an upsert must name it.
    private static func initialize(_ w: StoreWriter, metric: Metric?, itemDimension: Int?, userDimension: Int?) throws {
        if let meta = w.meta {
            if let metric { try w.initialize(dimension: meta.dimension, metric: metric) }
            return
        }
        guard let dimension = itemDimension ?? userDimension else {
            throw ServerError.notReady("the store holds no data yet: the first upsert must carry vectors")
        }
        guard metric != nil || itemDimension != nil else {
            throw ServerError.badRequest("upsert.metric missing: the store is empty and this upsert's vectors are all users'; "
                                         + "the first vectors fix the store's metric for good, so name it (ip, cosine or l2) "
                                         + "or upsert item vectors first (they default to ip)")
        }
        try w.initialize(dimension: dimension, metric: metric ?? .innerProduct)
    }
}

/// One upsert record, checked before the transaction starts.
struct PreparedRecord {
    let id: ExternalID
    let vector: [Float]
    let features: [(name: String, value: FeatureValue)]
    let field: String

    init(_ record: Ann_V1_Record, field: String, limits: ServerLimits) throws {
        self.field = field
        id = try IDConversion.external(record.id, "\(field).id")
        vector = record.vector
        try limits.check("\(field).vector length", vector.count, max: limits.maxDimension)
        if let i = vector.firstIndex(where: { !$0.isFinite }) {
            throw ServerError.badRequest("\(field).vector[\(i)] is \(vector[i]): components must be finite")
        }
        features = try record.features.keys.sorted().map { name in
            (name, try Self.feature(record.features[name]!, "\(field).features.\(name)"))
        }
    }

    /// A timestamp of a write, within `HistoryEntry.validTimes`.
    static func time(_ t: Int64, _ field: String) throws -> Int64 {
        guard HistoryEntry.validTimes.contains(t) else {
            throw ServerError.badRequest("\(field) \(t): expected \(HistoryEntry.validTimes.lowerBound)...\(HistoryEntry.validTimes.upperBound) (seconds since 1970, years 1 to 9999; milliseconds? divide by 1000)")
        }
        return t
    }

    static func feature(_ f: Ann_V1_Feature, _ field: String) throws -> FeatureValue {
        switch f.value {
        case .label(let s): return .categorical(s)
        case .labels(let l): return .multiCategorical(l.values)
        case .number(let x):
            guard x.isFinite else { throw ServerError.badRequest("\(field) is \(x): numbers must be finite") }
            return .numeric(x)
        case .time(let t): return .timestamp(try time(t, field))
        case nil: throw ServerError.badRequest("\(field) has no value (label, labels, number or time)")
        }
    }

    @discardableResult
    func apply(_ w: StoreWriter, _ entity: Entity) throws -> UInt32 {
        let row: UInt32
        if vector.isEmpty {
            row = try w.resolve(id, entity).row
        } else {
            let dimension = try w.requireMeta().dimension
            guard vector.count == dimension else { throw ServerError.dimensionMismatch(expected: dimension, got: vector.count) }
            row = try vector.withUnsafeBufferPointer { try w.upsertVectors(entity, ids: [id], vectors: $0)[0] }
        }
        if !features.isEmpty { try w.setFeatures(row: row, entity, values: features) }
        return row
    }
}
