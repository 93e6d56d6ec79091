import Foundation
import LMDB
import Store

extension IVFSearchIndex {
    /// The list sizes of the index in `reader`'s snapshot.
    public func balance(_ reader: StoreReader) throws -> IVFBalance {
        try index(reader) { stats in IVFBalance(sizes: (0..<info.lists).map { IVFListStats.read(stats, list: $0).count }) }
    }

    /// Lines for `annctl info`: parameters, list balance, and whether the store changed after
    /// the index was last written (rows added since are not in the lists until a build).
    public func report(_ reader: StoreReader) throws -> [String] {
        let balance = try self.balance(reader)
        let counts = try IVFRetriever.store { try reader.counts() }
        let current = try IVFIndexInfo.load(tables, in: reader.transaction) ?? info
        var lines = [
            "ivf index        nlist \(info.lists), \(info.encoding), nprobe \(info.nprobe), build \(info.buildID), "
                + "k-means on \(info.trainingPoints) points (\(info.iterations) iterations, seed \(info.seed))",
            "ivf lists        " + balance.summary,
        ]
        if current.storeSequence == counts.writeSequence {
            lines.append("ivf state        current (\(current.entries) rows in lists)")
        } else {
            lines.append("ivf state        the store was written after the index (\(current.entries) rows in lists, "
                         + "\(counts.itemVectors) item vectors in the store): annctl build --index ivf to refresh")
        }
        for table in IVFLayout.Table.allCases {
            let db: Database
            switch table {
            case .meta: db = tables.meta
            case .model: db = tables.model
            case .lists: db = tables.lists
            case .assignments: db = tables.assignments
            }
            let stats = try IVFTables.lmdb("statistics of \(table.rawValue)") { try reader.transaction.statistics(of: db) }
            lines.append("  \(table.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0))\(stats.entries) entries, \(stats.bytes) bytes")
        }
        return lines
    }

    private func index<R>(_ reader: StoreReader, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try tables.withModel(.listStats, in: reader.transaction) { raw in
            guard let raw, raw.count == info.lists * IVFLayout.listStatsBytes else {
                throw IndexError.corruptIndex(table: IVFLayout.Table.model.rawValue, reason: "list_stats: \(raw?.count ?? 0) bytes for \(info.lists) lists")
            }
            return try body(raw)
        }
    }
}
