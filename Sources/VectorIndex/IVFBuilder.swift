import Dispatch
import LMDB
import Store
import VectorMath

/// Builds (or rebuilds) the IVF index of a store's items in two steps: on one snapshot, sample
/// the rows, train k-means (L2, on BLAS), assign every row to its nearest centroid and lay the
/// lists out in memory; then, in one write transaction, replace the `ivf_*` tables. A crash or
/// an error leaves the previous index whole.
///
/// Lists are clustered by L2 for every metric: with inner product, FAISS-style spherical
/// centroids lose the norms that decide which rows win, and ranking lists by `q . c` of
/// unnormalised centroids plus a residual bound (see `IVFRetriever`) needs several times fewer
/// rows scanned for the same recall (bench/RESULTS.md, "IVF").
public enum IVFBuilder {
    public static func build(_ store: EmbeddingStore, parameters: IVFBuildParameters,
                             progress: ((IVFBuildPhase, _ done: Int, _ total: Int) -> Void)? = nil) throws -> IVFBuildReport {
        try parameters.validate()
        let started = now()
        guard let tables = try IVFTables.open(store, create: true) else {
            throw IndexError.store(.notAStore(path: store.path))
        }
        var seconds: [IVFBuildPhase: Double] = [:]
        let layout = try IVFTables.lmdb("read snapshot of \(store.path)") {
            try store.read { reader in
                try prepare(reader, tables: tables, parameters: parameters, seconds: &seconds, progress: progress)
            }
        }
        defer { layout.release() }
        let clock = now()
        let info = try store.write { writer in try write(layout, tables: tables, writer: writer, progress: progress) }
        seconds[.writing] = now() - clock
        return IVFBuildReport(info: info, trained: layout.trained, repairedClusters: layout.repairedClusters,
                              balance: IVFBalance(sizes: layout.stats.map(\.count)), seconds: seconds,
                              totalSeconds: now() - started)
    }

    // MARK: read phase

    /// Everything the write phase puts in the tables, laid out list by list.
    final class Layout {
        var info: IVFIndexInfo
        var centroids: [Float]
        var stats: [IVFListStats]
        var quantizer: IVFInt8Quantizer?
        /// The list of every row (`IVFLayout.noList` for a vacant row).
        var labels: [UInt32]
        /// `listStart[l] ..< listStart[l + 1]`: positions of list l in the arrays below.
        var listStart: [Int]
        var ids: [UInt32]
        var norms: [Float]
        /// Row-major vectors (float32) or codes (int8), in list order.
        var vectors: UnsafeMutableRawBufferPointer
        var trained: Bool
        var repairedClusters: Int
        /// The store's write sequence in the snapshot the layout was made from.
        var sequence: UInt64
        var previousBuild: UInt64

        init(info: IVFIndexInfo, centroids: [Float], labels: [UInt32], sequence: UInt64, previousBuild: UInt64) {
            self.info = info
            self.centroids = centroids
            self.labels = labels
            self.sequence = sequence
            self.previousBuild = previousBuild
            stats = []
            listStart = []
            ids = []
            norms = []
            vectors = UnsafeMutableRawBufferPointer(start: nil, count: 0)
            trained = false
            repairedClusters = 0
        }

        func release() {
            vectors.deallocate()
            vectors = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        }
    }

    static func prepare(_ reader: StoreReader, tables: IVFTables, parameters p: IVFBuildParameters,
                        seconds: inout [IVFBuildPhase: Double],
                        progress: ((IVFBuildPhase, Int, Int) -> Void)?) throws -> Layout {
        let meta = try IVFRetriever.store { try reader.meta() }
        let counts = try IVFRetriever.store { try reader.counts() }
        let d = meta.dimension, nlist = p.lists
        guard counts.itemVectors >= nlist else {
            throw IndexError.invalidParameter(name: "nlist", value: "\(nlist)",
                                              expected: "at most the number of item vectors (\(counts.itemVectors))")
        }
        let previous = try IVFIndexInfo.load(tables, in: reader.transaction)
        var info = IVFIndexInfo(lists: nlist, dimension: d, metric: meta.metric, encoding: p.encoding,
                                nprobe: min(nlist, p.nprobe ?? previous.map(\.nprobe) ?? IVFBuildParameters.defaultNprobe(lists: nlist)),
                                seed: p.seed, iterations: p.iterations, trainingPoints: 0, boundWeight: p.boundWeight,
                                entries: 0, buildID: 0, storeSequence: 0)
        var centroids: [Float]
        var trained = false, repaired = 0
        if let previous, !p.retrain, previous.lists == nlist, previous.dimension == d {
            // Keep the centroids: only the rows are assigned again.
            centroids = try tables.modelFloats(.centroids, expected: nlist * d, in: reader.transaction)
            info.seed = previous.seed
            info.iterations = previous.iterations
            info.trainingPoints = previous.trainingPoints
        } else {
            var clock = now()
            let sample = try drawSample(reader, meta: meta, counts: counts, parameters: p, progress: progress)
            seconds[.sampling] = now() - clock
            guard sample.count / d >= nlist else {
                throw IndexError.invalidParameter(name: "nlist", value: "\(nlist)",
                                                  expected: "at most the number of sampled vectors (\(sample.count / d))")
            }
            clock = now()
            let kmeans = KMeansParameters(clusters: nlist, iterations: p.iterations, metric: .l2,
                                          initialization: p.initialization, seed: p.seed, threads: p.threads)
            let result = sample.withUnsafeBufferPointer {
                KMeans.train($0, count: sample.count / d, dimension: d, parameters: kmeans) { progress?(.training, $0, $1) }
            }
            seconds[.training] = now() - clock
            centroids = result.centroids
            info.trainingPoints = sample.count / d
            trained = true
            repaired = result.repairedClusters
        }
        let clock = now()
        let layout = Layout(info: info, centroids: centroids,
                            labels: [UInt32](repeating: IVFLayout.noList, count: counts.items),
                            sequence: counts.writeSequence, previousBuild: previous?.buildID ?? 0)
        layout.trained = trained
        layout.repairedClusters = repaired
        try assignRows(reader, layout: layout, parameters: p, progress: progress)
        try fillLists(reader, layout: layout, progress: progress)
        seconds[.assigning] = now() - clock
        return layout
    }

    /// About `sampleSize` rows with vectors, drawn uniformly (seeded), as one row-major array.
    static func drawSample(_ reader: StoreReader, meta: StoreMeta, counts: StoreCounts, parameters p: IVFBuildParameters,
                           progress: ((IVFBuildPhase, Int, Int) -> Void)?) throws -> [Float] {
        let d = meta.dimension
        let wanted = min(counts.itemVectors, p.sampleSize ?? IVFBuildParameters.defaultSamplePerList * p.lists)
        var rng = KMeansRandom(seed: p.seed ^ 0x5A4D_504C_4553_4545)
        // Draw rows among all rows; vacant rows are skipped, so draw a little more when some are.
        let draw = wanted >= counts.itemVectors ? counts.items
            : min(counts.items, Int((Double(wanted) * Double(counts.items) / Double(max(1, counts.itemVectors))).rounded(.up)))
        let rows = rng.sample(draw, from: counts.items)
        var sample: [Float] = []
        sample.reserveCapacity(min(rows.count, wanted) * d)
        var next = 0
        try IVFRetriever.store {
            try reader.forEachVectorBlock(.item) { block in
                let end = Int(block.firstRow) + block.count
                while next < rows.count && rows[next] < end {
                    let v = block.vectors.baseAddress! + (rows[next] - Int(block.firstRow)) * d
                    if !v[0].isNaN && sample.count < wanted * d { sample.append(contentsOf: UnsafeBufferPointer(start: v, count: d)) }
                    next += 1
                }
                progress?(.sampling, next, rows.count)
                return next < rows.count
            }
        }
        return sample
    }

    /// Assigns every row to its nearest centroid and gathers the list summaries and, for int8,
    /// the range of the residuals in each dimension.
    static func assignRows(_ reader: StoreReader, layout: Layout, parameters p: IVFBuildParameters,
                           progress: ((IVFBuildPhase, Int, Int) -> Void)?) throws {
        let d = layout.info.dimension, nlist = layout.info.lists
        var assigner = KMeansAssigner(dimension: d, metric: .l2, threads: p.threads)
        assigner.setCentroids(layout.centroids, count: nlist)
        var stats = (0..<nlist).map { l in
            IVFListStats(centroidSquaredNorm: layout.centroids.withUnsafeBufferPointer { Distance.squaredNorm($0.baseAddress! + l * d, count: d) })
        }
        var low = [Float](repeating: .infinity, count: d), high = [Float](repeating: -.infinity, count: d)
        let int8 = layout.info.encoding == .int8
        var labels: [UInt32] = [], best: [Float] = []
        let total = layout.labels.count
        try IVFRetriever.store {
            try reader.forEachVectorBlock(.item) { block in
                let n = block.count
                if labels.count < n { labels = [UInt32](repeating: 0, count: n); best = [Float](repeating: 0, count: n) }
                labels.withUnsafeMutableBufferPointer { l in
                    best.withUnsafeMutableBufferPointer { b in
                        assigner.assign(block.vectors, count: n, labels: l, scores: b)
                    }
                }
                for i in 0..<n {
                    let x = block.vectors.baseAddress! + i * d
                    guard !x[0].isNaN else { continue }
                    let l = Int(labels[i])
                    layout.labels[Int(block.firstRow) + i] = labels[i]
                    let norm = block.squaredNorms[i]
                    stats[l].count += 1
                    stats[l].maxSquaredNorm = max(stats[l].maxSquaredNorm, norm)
                    stats[l].maxResidualNorm = max(stats[l].maxResidualNorm, max(0, norm + best[i]).squareRoot())
                    if int8 {
                        layout.centroids.withUnsafeBufferPointer { c in
                            let centre = c.baseAddress! + l * d
                            for j in 0..<d {
                                let r = x[j] - centre[j]
                                if r < low[j] { low[j] = r }
                                if r > high[j] { high[j] = r }
                            }
                        }
                    }
                }
                progress?(.assigning, Int(block.firstRow) + n, 2 * total)
                return true
            }
        }
        layout.stats = stats
        if int8 { layout.quantizer = IVFInt8Quantizer(minimum: low, maximum: high) }
    }

    /// Copies every row (id, squared norm, vector or residual codes) to its place in list order.
    static func fillLists(_ reader: StoreReader, layout: Layout, progress: ((IVFBuildPhase, Int, Int) -> Void)?) throws {
        let d = layout.info.dimension, nlist = layout.info.lists
        var start = [Int](repeating: 0, count: nlist + 1)
        for l in 0..<nlist { start[l + 1] = start[l] + layout.stats[l].count }
        let entries = start[nlist]
        layout.listStart = start
        layout.info.entries = entries
        layout.ids = [UInt32](repeating: 0, count: entries)
        layout.norms = [Float](repeating: 0, count: entries)
        let bytes = max(1, entries * d * layout.info.encoding.componentBytes)
        layout.vectors = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
        var fill = Array(start[0..<nlist])
        let total = layout.labels.count
        var residual = [Float](repeating: 0, count: d)
        try IVFRetriever.store {
            try reader.forEachVectorBlock(.item) { block in
                for i in 0..<block.count {
                    let row = Int(block.firstRow) + i
                    let label = layout.labels[row]
                    guard label != IVFLayout.noList else { continue }
                    let l = Int(label)
                    let position = fill[l]
                    fill[l] += 1
                    layout.ids[position] = UInt32(row)
                    layout.norms[position] = block.squaredNorms[i]
                    let x = block.vectors.baseAddress! + i * d
                    if let quantizer = layout.quantizer {
                        layout.centroids.withUnsafeBufferPointer { c in
                            for j in 0..<d { residual[j] = x[j] - c[l * d + j] }
                        }
                        residual.withUnsafeBufferPointer { r in
                            quantizer.encode(r.baseAddress!, into: (layout.vectors.baseAddress! + position * d).assumingMemoryBound(to: Int8.self))
                        }
                    } else {
                        (layout.vectors.baseAddress! + position * d * 4).assumingMemoryBound(to: Float.self).update(from: x, count: d)
                    }
                }
                progress?(.assigning, total + Int(block.firstRow) + block.count, 2 * total)
                return true
            }
        }
    }

    // MARK: write phase

    static func write(_ layout: Layout, tables: IVFTables, writer: StoreWriter,
                      progress: ((IVFBuildPhase, Int, Int) -> Void)?) throws -> IVFIndexInfo {
        let txn = writer.transaction
        guard writer.counts.writeSequence == layout.sequence else {
            throw IndexError.storeChangedDuringBuild(.ivf, expectedSequence: layout.sequence, got: writer.counts.writeSequence)
        }
        try IVFTables.lmdb("empty ivf tables") {
            for db in [tables.meta, tables.model, tables.lists, tables.assignments] { try txn.empty(db) }
        }
        var info = layout.info
        info.buildID = layout.previousBuild + 1
        info.storeSequence = writer.counts.writeSequence + 1
        let d = info.dimension, nlist = info.lists
        try writeModel(layout, tables: tables, in: txn)
        try writeAssignments(layout.labels, tables: tables, in: txn)
        for l in 0..<nlist {
            let range = layout.listStart[l] ..< layout.listStart[l + 1]
            guard !range.isEmpty else { continue }
            let componentBytes = info.encoding.componentBytes
            let size = IVFPostingList.byteCount(count: range.count, dimension: d, encoding: info.encoding)
            try IVFTables.lmdb("write ivf_lists \(l)") {
                try KeyCodec.withRowKey(UInt32(l)) { key in
                    try txn.reserve(size, forKey: key, in: tables.lists, flags: .append) { raw in
                        IVFPostingList.writeHeader(count: range.count, into: raw)
                        let o = IVFPostingList.offsets(count: range.count)
                        layout.ids.withUnsafeBytes { raw.baseAddress!.advanced(by: o.ids).copyMemory(from: $0.baseAddress! + range.lowerBound * 4, byteCount: range.count * 4) }
                        layout.norms.withUnsafeBytes { raw.baseAddress!.advanced(by: o.norms).copyMemory(from: $0.baseAddress! + range.lowerBound * 4, byteCount: range.count * 4) }
                        raw.baseAddress!.advanced(by: o.vectors).copyMemory(
                            from: layout.vectors.baseAddress! + range.lowerBound * d * componentBytes,
                            byteCount: range.count * d * componentBytes)
                    }
                }
            }
            progress?(.writing, l + 1, nlist)
        }
        try info.save(tables, in: txn)
        return info
    }

    static func writeModel(_ layout: Layout, tables: IVFTables, in txn: Transaction) throws {
        try layout.centroids.withUnsafeBytes { try tables.putModel(.centroids, bytes: $0, in: txn) }
        try IVFListStats.encode(layout.stats).withUnsafeBytes { try tables.putModel(.listStats, bytes: $0, in: txn) }
        if let quantizer = layout.quantizer {
            try quantizer.offset.withUnsafeBytes { try tables.putModel(.int8Offset, bytes: $0, in: txn) }
            try quantizer.scale.withUnsafeBytes { try tables.putModel(.int8Scale, bytes: $0, in: txn) }
        }
    }

    /// Writes the list of every row, `IVFLayout.rowsPerAssignmentBlock` rows per value.
    static func writeAssignments(_ labels: [UInt32], tables: IVFTables, in txn: Transaction) throws {
        let per = IVFLayout.rowsPerAssignmentBlock
        var block = [UInt32](repeating: IVFLayout.noList, count: per)
        var start = 0
        while start < labels.count {
            let n = min(per, labels.count - start)
            for i in 0..<per { block[i] = i < n ? labels[start + i].littleEndian : IVFLayout.noList }
            try IVFTables.lmdb("write ivf_assignments") {
                try KeyCodec.withRowKey(UInt32(start / per)) { key in
                    try block.withUnsafeBytes { try txn.put($0, forKey: key, in: tables.assignments, flags: .append) }
                }
            }
            start += per
        }
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
}
