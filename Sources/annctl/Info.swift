import ArgumentParser
import Foundation
import Store
import VectorIndex

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "What a store holds: counts, dimension, metric, tables, size.")

    @OptionGroup var store: StoreOptions

    func run() throws {
        let embeddingStore = try EmbeddingStore(path: store.db, readOnly: true)
        let ivf = try IVFSearchIndex.open(embeddingStore, preload: false)  // before the snapshot (it opens the ivf_* tables); no list copy for a report
        try embeddingStore.read { r in
            print("store            \(store.db)")
            guard let meta = try? r.meta() else {
                print("state            empty (nothing imported yet)")
                return
            }
            let c = try r.counts()
            print("format version   \(meta.formatVersion)")
            print("dimension        \(meta.dimension)")
            print("metric           \(meta.metric.rawValue)")
            print("element type     float32 (\(meta.vectorsPerBlock) vectors per block)")
            print("items            \(c.items) (\(c.itemVectors) with vectors)")
            print("users            \(c.users) (\(c.userVectors) with vectors)")
            print("write sequence   \(c.writeSequence)")
            for entity in Entity.allCases {
                let columns = try r.featureColumns(entity)
                guard !columns.isEmpty else { continue }
                let list = columns.map { $0.kind == .categorical || $0.kind == .multiCategorical
                    ? "\($0.name):\($0.kind) (\($0.labelCount) labels)" : "\($0.name):\($0.kind)" }
                print("\(entity) features    " + list.joined(separator: ", "))
            }
            print("size on disk     \(Format.bytes(embeddingStore.fileBytes)) (map \(Format.bytes(embeddingStore.environment.info.mapSize)))")
            print("tables")
            for (name, stats) in try r.tableStatistics() where stats.entries > 0 {
                print("  " + Format.pad(name, 22) + String(format: "%10d entries  ", stats.entries) + Format.bytes(stats.bytes))
            }
            if let ivf { for line in try ivf.report(r) { print(line) } }
        }
        for line in try HNSWStorage.report(embeddingStore) { print(line) }
    }
}
