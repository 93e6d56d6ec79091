import ArgumentParser
import Foundation
import Store
import VectorIndex

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build an ANN index over the store's item vectors (stored in the same environment).")

    @OptionGroup var store: StoreOptions
    @Option(help: "Index kind: hnsw or ivf.") var index: String = "hnsw"
    @Option(help: "Threads (default: all cores).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Seed (reproducible builds).") var seed: UInt64 = 42
    @OptionGroup var hnsw: HNSWBuildOptions
    @Flag(help: "No progress bar.") var quiet = false

    func validate() throws {
        guard let kind = IndexKind(rawValue: index), kind != .flat else { throw ValidationError("--index '\(index)': expected hnsw or ivf") }
        guard threads >= 1 else { throw ValidationError("--threads \(threads): expected at least 1") }
        if kind == .hnsw { try hnsw.validate() }
    }

    func run() throws {
        let embeddingStore = try EmbeddingStore(path: store.db)
        switch IndexKind(rawValue: index)! {
        case .hnsw: try hnsw.build(embeddingStore, threads: threads, seed: seed, quiet: quiet)
        case .ivf, .flat: throw ValidationError("--index \(index) is not available in this build")
        }
    }
}
