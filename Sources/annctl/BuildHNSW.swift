import ArgumentParser
import Foundation
import Ingest
import Store
import VectorIndex

struct HNSWBuildOptions: ParsableArguments {
    @Option(help: "HNSW: neighbours per node (level 0 keeps 2M).") var m: Int = 16
    @Option(name: .customLong("ef-construction"), help: "HNSW: candidate list size while building.") var efConstruction: Int = 200
    @Option(name: .customLong("ef-search"), help: "HNSW: default ef at query time.") var efSearch: Int = 64
    @Option(name: .customLong("head-fraction"), help: "HNSW, inner product: share of largest-norm items scanned exactly per query.")
    var headFraction: Double = 0.01
    @Flag(name: .customLong("link-unreachable"),
          help: "HNSW: end the build by linking the rows a walk from the entry point cannot reach (inner product leaves many: they are never returned). Wide searches (\(HNSWParameters.repairRule), e.g. recommend candidates) follow these links and can return those rows; narrower ones skip them and cost the same. Slower build.")
    var linkUnreachable = false
    @Option(name: .customLong("wide-links"), help: "HNSW, inner product, with --link-unreachable: extra links per row for wide searches only, chosen by the textbook MIPS-to-L2 reduction (0: none).")
    var wideLinks: Int = HNSWParameters().wideLinks
    @Option(help: "HNSW, inner product: what links are chosen by: augmented (the default: vectors augmented to one norm, the MIPS-to-L2 reduction, with radius set by --augment-quantile), metric (the inner product itself), angle (cosine; measured worse). Searches always walk by inner product.")
    var links: String?
    @Option(name: .customLong("augment-quantile"), help: "HNSW, --links augmented: the augmenting radius R is the item norm at this quantile (0...1; 1 = the largest; default \(HNSWParameters().augmentQuantile)). Longer items link by plain inner product.")
    var augmentQuantile: Double?

    func validate() throws {
        guard (0...64).contains(wideLinks) else { throw ValidationError("--wide-links \(wideLinks): expected 0...64") }
        if let augmentQuantile, !(0...1).contains(augmentQuantile) {
            throw ValidationError("--augment-quantile \(augmentQuantile): expected 0...1")
        }
        if let links, !HNSWLinks.allCases.contains(where: { $0.name == links }) {
            throw ValidationError("--links \(links): expected one of \(HNSWLinks.allCases.map(\.name).joined(separator: ", "))")
        }
        guard (2...128).contains(m) else { throw ValidationError("--m \(m): expected 2...128") }
        guard efConstruction >= m else { throw ValidationError("--ef-construction \(efConstruction): expected at least --m (\(m))") }
        guard efSearch >= 1 else { throw ValidationError("--ef-search \(efSearch): expected at least 1") }
        guard (0...0.5).contains(headFraction) else { throw ValidationError("--head-fraction \(headFraction): expected 0...0.5") }
    }

    func build(_ store: EmbeddingStore, threads: Int, seed: UInt64, int8: Bool, quiet: Bool) throws {
        var parameters = HNSWParameters()
        parameters.m = m
        parameters.efConstruction = efConstruction
        parameters.efSearch = efSearch
        parameters.headFraction = headFraction
        parameters.seed = seed
        parameters.int8 = int8
        parameters.linkUnreachable = linkUnreachable
        if let links, let kind = HNSWLinks.allCases.first(where: { $0.name == links }) { parameters.links = kind }
        if let augmentQuantile { parameters.augmentQuantile = augmentQuantile }
        parameters.wideLinks = wideLinks
        let metric = try store.meta()?.metric
        if (links != nil || augmentQuantile != nil), let metric, metric != .innerProduct {
            FileHandle.standardError.write(Data("note: --links and --augment-quantile apply to inner product only; this store's metric is \(metric.rawValue): its graph is linked by that metric\n".utf8))
        }
        let clock = Date()
        let rows = try store.read { try $0.counts().items }
        let bar = quiet ? nil : ProgressBar(label: "hnsw", totalBytes: Int64(rows))
        let index = try store.read { reader in
            try HNSWSearchIndex.build(reader, parameters: parameters, threads: threads) { done, _ in
                bar?.update(bytes: Int64(done), rows: done)
            }
        }
        bar?.finish()
        let built = Date().timeIntervalSince(clock)
        try store.write { try index.save($0) }
        print("built \(index.summary) in \(Format.seconds(built)) on \(threads) thread(s); saved in \(Format.seconds(Date().timeIntervalSince(clock) - built))")
        let unreachable = index.unreachableRowCount
        if unreachable > 0 {
            let share = String(format: "%.1f", 100 * Double(unreachable) / Double(max(rows, 1)))
            print("note: \(unreachable) of \(rows) rows (\(share)%) cannot be reached by a walk from the entry point, so no search returns them; "
                + (linkUnreachable ? "no reached row near them had a free slot to link them from"
                                   : "--link-unreachable links them for wide searches (\(HNSWParameters.repairRule); slower build)"))
        }
    }
}
