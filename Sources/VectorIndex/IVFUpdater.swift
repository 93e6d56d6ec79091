import LMDB
import Store
import VectorMath

/// Online changes to a built IVF index, made in the caller's store write transaction together
/// with the store change itself: `upsert` sets item vectors and files each row in the list of
/// its nearest centroid (moving it out of its old list), `remove` makes rows vacant and takes
/// them out of their lists, so a removed row is never returned again; `apply` brings the lists
/// up to date with rows whose vectors the caller already set or removed (the server's writer,
/// through `IVFSearchIndex.applyWrites`). Centroids stay as built; a list summary keeps the
/// largest norms it has seen (a valid bound after removals).
public struct IVFUpdater {
    public let index: IVFSearchIndex

    public init(index: IVFSearchIndex) { self.index = index }

    /// Sets the vectors of `ids` (row-major `vectors`) in the store and in the index. Returns
    /// the rows, in order.
    @discardableResult
    public func upsert(_ writer: StoreWriter, ids: [ExternalID], vectors: UnsafeBufferPointer<Float>) throws -> [UInt32] {
        _ = try checkBuild(writer)
        let rows = try IVFRetriever.store { try writer.upsertVectors(.item, ids: ids, vectors: vectors) }
        guard !rows.isEmpty else { return rows }
        try apply(upserted: rows, deleted: [], in: writer)
        return rows
    }

    /// Removes the vectors of `rows` from the store and the rows from their lists. Rows
    /// without a vector or outside every list are left as they are.
    public func remove(_ writer: StoreWriter, rows: [UInt32]) throws {
        _ = try checkBuild(writer)
        for row in Set(rows).sorted() where Int(row) < writer.counts.items {
            try IVFRetriever.store { try writer.removeVector(row: row, .item) }
        }
        try apply(upserted: [], deleted: rows, in: writer)
    }

    /// Brings the lists up to date with item rows whose vectors this transaction set
    /// (`upserted`, read back from the store as it keeps them) or removed (`deleted`): a row
    /// in `deleted`, or one that holds no vector, leaves its list; any other row is filed in
    /// the list of its nearest centroid (leaving its old list). Repeated rows count once.
    public func apply(upserted: [UInt32], deleted: [UInt32], in writer: StoreWriter) throws {
        let info = try checkBuild(writer)
        let d = info.dimension
        try IVFRetriever.store { try writer.flushVectors() }
        let reader = writer.store.reader(on: writer.transaction)
        let gone = Set(deleted)
        var filed: [UInt32] = [], vectors: [Float] = [], leaving: [UInt32] = []
        for row in Set(upserted).union(gone).sorted() {
            var found = false
            if !gone.contains(row) && Int(row) < writer.counts.items {
                try IVFRetriever.store {
                    try reader.withVector(ofRow: row, .item) { v in
                        guard let v else { return }
                        vectors.append(contentsOf: v)
                        found = true
                    }
                }
            }
            if found { filed.append(row) } else { leaving.append(row) }
        }
        guard !filed.isEmpty || !leaving.isEmpty else { return }
        let txn = writer.transaction
        let centroids = try index.tables.modelFloats(.centroids, expected: info.lists * d, in: txn)
        var labels = [UInt32](repeating: 0, count: filed.count)
        if !filed.isEmpty {
            var assigner = KMeansAssigner(dimension: d, metric: .l2)
            assigner.setCentroids(centroids, count: info.lists)
            vectors.withUnsafeBufferPointer { v in labels.withUnsafeMutableBufferPointer { assigner.assign(v, count: filed.count, labels: $0) } }
        }

        var assignments = try IVFAssignmentEditor(tables: index.tables, txn: txn)
        var removals: [Int: Set<UInt32>] = [:]
        var additions: [Int: [Int]] = [:]
        for row in leaving {
            let old = try assignments.list(of: row)
            guard old != IVFLayout.noList else { continue }
            removals[Int(old), default: []].insert(row)
            try assignments.set(row, list: IVFLayout.noList)
        }
        for (i, row) in filed.enumerated() {
            let old = try assignments.list(of: row)
            if old != IVFLayout.noList { removals[Int(old), default: []].insert(row) }
            additions[Int(labels[i]), default: []].append(i)
            try assignments.set(row, list: labels[i])
        }
        var stats = try loadStats(txn, lists: info.lists)
        var entries = info.entries
        let before = try index.tables.requireMeta(.storeSequence, as: UInt64.self, in: txn)
        var copies: [Int: IVFListBlock?]? = index.resident.holdsCopies ? [:] : nil
        for l in Set(removals.keys).union(additions.keys).sorted() {
            entries += try rewrite(list: l, removing: removals[l] ?? [], adding: additions[l] ?? [], rows: filed,
                                   vectors: vectors, centroids: centroids, stats: &stats[l], txn: txn, copies: &copies)
        }
        try assignments.flush()
        let sequence = try finish(writer, stats: stats, entries: entries)
        if let copies {
            index.resident.stage(copies, before: before, sequence: sequence, buildID: info.buildID,
                                 centroids: index.centroids.floats)
        }
    }

    // MARK: steps

    private func checkBuild(_ writer: StoreWriter) throws -> IVFIndexInfo {
        let info = index.info
        let build = try index.tables.metaValue(.buildID, as: UInt64.self, in: writer.transaction)
        guard build == info.buildID else { throw IndexError.indexChanged(.ivf, expectedBuild: info.buildID, got: build ?? 0) }
        let entries = try index.tables.requireMeta(.entries, as: UInt64.self, in: writer.transaction)
        var current = info
        current.entries = Int(entries)
        return current
    }

    private func loadStats(_ txn: Transaction, lists: Int) throws -> [IVFListStats] {
        try index.tables.withModel(.listStats, in: txn) { raw in
            guard let raw, let stats = IVFListStats.decode(raw), stats.count == lists else {
                throw IndexError.corruptIndex(table: IVFLayout.Table.model.rawValue, reason: "list_stats: \(raw?.count ?? 0) bytes for \(lists) lists")
            }
            return stats
        }
    }

    /// Writes the list summaries, the row count and the state's sequence; returns the sequence.
    private func finish(_ writer: StoreWriter, stats: [IVFListStats], entries: Int) throws -> UInt64 {
        let txn = writer.transaction
        let sequence = writer.counts.writeSequence + 1
        try IVFListStats.encode(stats).withUnsafeBytes { try index.tables.putModel(.listStats, bytes: $0, in: txn) }
        try index.tables.putMeta(.entries, UInt64(entries), in: txn)
        try index.tables.putMeta(.storeSequence, sequence, in: txn)
        return sequence
    }

    /// Rewrites list `l` without the rows in `removing` and with the rows `adding` (positions in
    /// `rows` / `vectors`) appended; with `copies`, also into a block of its own there (nil when
    /// the list is now empty) for the index's resident copy. Returns the change in its row count.
    private func rewrite(list l: Int, removing: Set<UInt32>, adding: [Int], rows: [UInt32], vectors: [Float],
                         centroids: [Float], stats: inout IVFListStats, txn: Transaction,
                         copies: inout [Int: IVFListBlock?]?) throws -> Int {
        let info = index.info, d = info.dimension, width = d * info.encoding.componentBytes
        var ids: [UInt32] = [], norms: [Float] = [], data: [UInt8] = []
        var copy: [UInt32] = []
        try index.tables.withList(UInt32(l), dimension: d, encoding: info.encoding, in: txn, scratch: &copy) { posting in
            guard let posting else { return }
            for i in 0..<posting.count where !removing.contains(posting.ids[i]) {
                ids.append(posting.ids[i])
                norms.append(posting.norms[i])
                data.append(contentsOf: UnsafeRawBufferPointer(start: posting.vectors + i * width, count: width))
            }
        }
        let before = stats.count
        var residual = [Float](repeating: 0, count: d), codes = [Int8](repeating: 0, count: d)
        for i in adding {
            let x = Array(vectors[i * d ..< (i + 1) * d])
            for j in 0..<d { residual[j] = x[j] - centroids[l * d + j] }
            ids.append(rows[i])
            let norm = Distance.squaredNorm(x)
            norms.append(norm)
            stats.maxSquaredNorm = max(stats.maxSquaredNorm, norm)
            stats.maxResidualNorm = max(stats.maxResidualNorm, Distance.squaredNorm(residual).squareRoot())
            if let quantizer = index.quantizer {
                residual.withUnsafeBufferPointer { r in codes.withUnsafeMutableBufferPointer { quantizer.encode(r.baseAddress!, into: $0.baseAddress!) } }
                codes.withUnsafeBytes { data.append(contentsOf: $0) }
            } else {
                x.withUnsafeBytes { data.append(contentsOf: $0) }
            }
        }
        stats.count = ids.count
        let size = IVFPostingList.byteCount(count: ids.count, dimension: d, encoding: info.encoding)
        func fill(_ raw: UnsafeMutableRawBufferPointer) {
            IVFPostingList.writeHeader(count: ids.count, into: raw)
            let o = IVFPostingList.offsets(count: ids.count)
            ids.withUnsafeBytes { raw.baseAddress!.advanced(by: o.ids).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            norms.withUnsafeBytes { raw.baseAddress!.advanced(by: o.norms).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            data.withUnsafeBytes { raw.baseAddress!.advanced(by: o.vectors).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        try IVFTables.lmdb("write ivf_lists \(l)") {
            try KeyCodec.withRowKey(UInt32(l)) { key in
                guard !ids.isEmpty else {
                    try txn.delete(key: key, in: index.tables.lists)
                    return
                }
                try txn.reserve(size, forKey: key, in: index.tables.lists) { raw in fill(raw) }
            }
        }
        if copies != nil {
            guard !ids.isEmpty else {
                copies![l] = .some(nil)
                return ids.count - before
            }
            guard let block = IVFListBlock(bytes: size, count: ids.count, dimension: d, encoding: info.encoding, fill) else {
                throw IndexError.corruptIndex(table: IVFLayout.Table.lists.rawValue, reason: "list \(l): rewritten copy of \(size) bytes does not match its count \(ids.count)")
            }
            copies![l] = .some(block)
        }
        return ids.count - before
    }
}
