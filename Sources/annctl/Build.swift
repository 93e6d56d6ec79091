import ArgumentParser
import Foundation
import Store
import VectorIndex

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build an ANN index over the store's items, kept in the same LMDB environment.",
        discussion: """
        --index hnsw (default): an HNSW graph over every item vector (seeded levels, all cores); for \
        inner product the largest-norm items are also scanned exactly per query (--head-fraction); \
        with --int8 queries walk the graph on one-byte codes and re-score the final candidates in float32. \
        --index ivf: k-means (BLAS) on a sample of the items, then every item is filed in the list \
        of its nearest centroid; lists hold float32 vectors or, with --int8, one byte per component \
        (final candidates are re-scored in float32). An existing IVF index with the same --nlist keeps \
        its centroids and only files the items again, unless --retrain. A build is saved in one write \
        transaction: on error the previous index stays.
        """)

    @OptionGroup var store: StoreOptions
    @Option(help: "Index kind: hnsw or ivf.") var index: String = "hnsw"
    @Option(help: "Threads (default: all cores).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Seed: the same seed and data give the same index.") var seed: UInt64 = 42
    @Flag(help: "No progress bar.") var quiet = false
    @OptionGroup var hnsw: HNSWBuildOptions

    // IVF
    @Option(help: "IVF: number of lists (default: 4 x sqrt(items)).") var nlist: Int?
    @Flag(help: "int8 codes (per-dimension scales): IVF lists, or the HNSW walk; final candidates re-scored in float32.") var int8 = false
    @Option(name: .customLong("nprobe-default"), help: "IVF: lists probed when a query does not say (default: sqrt(nlist) / 2).")
    var nprobeDefault: Int?
    @Flag(help: "IVF: train new centroids even when an index with the same --nlist exists.") var retrain = false
    @Option(help: "IVF: points k-means is trained on (default: 64 x nlist).") var sample: Int?
    @Option(help: "IVF: k-means iterations.") var iterations: Int = 10

    func validate() throws {
        guard let kind = IndexKind(rawValue: index), kind != .flat else {
            throw ValidationError("--index '\(index)': expected hnsw or ivf")
        }
        guard threads >= 1 else { throw ValidationError("--threads \(threads): expected at least 1") }
        if kind == .hnsw { try hnsw.validate() }
        if let nlist, nlist < 1 { throw ValidationError("--nlist \(nlist): expected at least 1") }
        if let nprobeDefault, nprobeDefault < 1 { throw ValidationError("--nprobe-default \(nprobeDefault): expected at least 1") }
        if let sample, sample < 1 { throw ValidationError("--sample \(sample): expected at least 1") }
        guard iterations >= 1 else { throw ValidationError("--iterations \(iterations): expected at least 1") }
    }

    func run() throws {
        switch IndexKind(rawValue: index) {
        case .hnsw: try hnsw.build(try EmbeddingStore(path: store.db), threads: threads, seed: seed, int8: int8, quiet: quiet)
        case .ivf: try buildIVF()
        default: throw ValidationError("--index '\(index)': this build does not make that index")
        }
    }
}
