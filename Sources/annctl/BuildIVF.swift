import ArgumentParser
import Foundation
import Ingest
import LMDB
import Store
import VectorIndex
import VectorMath

extension Build {
    /// `annctl build --index ivf`: train (or keep) the centroids, file every item, report.
    func buildIVF() throws {
        let dataFile = (store.db as NSString).appendingPathComponent("data.mdb")
        guard FileManager.default.fileExists(atPath: dataFile) else { throw StoreError.notAStore(path: store.db) }
        // Written through the memory map like an import (no copy of dirty pages); the map is
        // sized to what the lists can need and the file is cut back to the pages in use after.
        let probe = try EmbeddingStore(path: store.db, readOnly: true)
        guard let meta = try probe.meta() else { throw StoreError.notInitialized(path: store.db) }
        let counts = try probe.read { try $0.counts() }
        probe.environment.close()
        // The default, 4 sqrt(n), is at most n (below 16 items it would exceed it).
        let lists = nlist ?? max(1, min(counts.itemVectors, Int((4 * Double(counts.itemVectors).squareRoot()).rounded())))
        let listBytes = counts.itemVectors * (meta.dimension * (int8 ? 1 : 4) + 8) + lists * meta.dimension * 4
        var options = Environment.Options()
        options.writeMap = true
        options.mapSize = Import.fileBytes(dataFile) + 2 * listBytes + (256 << 20)
        let embeddingStore = try EmbeddingStore(path: store.db, options: options)

        BLAS.setThreads(threads)
        var parameters = IVFBuildParameters(lists: lists, encoding: int8 ? .int8 : .float32)
        parameters.nprobe = nprobeDefault
        parameters.sampleSize = sample
        parameters.iterations = iterations
        parameters.seed = seed
        parameters.threads = threads
        parameters.retrain = retrain
        var bar: ProgressBar?
        var barPhase: IVFBuildPhase?
        let result = Result {
            try IVFBuilder.build(embeddingStore, parameters: parameters) { phase, done, total in
                guard !quiet else { return }
                if phase != barPhase {
                    bar?.finish()
                    let label = phase == .training ? "ivf k-means (points x iterations)" : "ivf \(phase.rawValue)"
                    bar = ProgressBar(label: label, totalBytes: Int64(total))
                    barPhase = phase
                }
                bar?.update(bytes: Int64(done), rows: done)
            }
        }
        bar?.finish()
        try embeddingStore.environment.closeTrimmingFile()
        let report = try result.get()
        let info = report.info
        print("ivf index: \(info.lists) lists, \(info.encoding), nprobe \(info.nprobe), \(info.entries) rows, \(info.metric.rawValue) (build \(info.buildID))")
        if report.trained {
            print("k-means: \(info.trainingPoints) points, \(info.iterations) iterations, seed \(info.seed)"
                  + (report.repairedClusters > 0 ? ", \(report.repairedClusters) empty clusters split" : ""))
        } else {
            print("k-means: kept the centroids of the previous build (--retrain to train new ones)")
        }
        let phases = IVFBuildPhase.allCases.compactMap { phase in report.seconds[phase].map { "\(phase.rawValue) \(Format.seconds($0))" } }
        print("time: " + phases.joined(separator: ", ") + "; total \(Format.seconds(report.totalSeconds)) on \(threads) thread(s)")
        print("lists: " + report.balance.summary)
    }
}
