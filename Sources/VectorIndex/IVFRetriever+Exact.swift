import Store
import VectorMath

extension IVFRetriever {
    /// Exact top `k` over the rows a selective filter lets through: each passing row is read
    /// from the store and scored in float32. Used when probing enough lists to find `k`
    /// passing rows would scan more than this.
    func exactSearch(_ reader: StoreReader, query q: [Float], k: Int, filter: SearchFilter) throws -> [ScoredID] {
        finalists.reset(k: k)
        let metric = self.metric
        try q.withUnsafeBufferPointer { qb in
            let qp = qb.baseAddress!
            if let allowed = filter.allowed {
                let rows = allowed.rows
                let perBlock = try Self.store { try reader.meta().vectorsPerBlock }
                let blockCount = (index.info.entries + perBlock - 1) / perBlock
                if rows.count <= blockCount {
                    // Few rows: read each one.
                    for row in rows where filter.accepts(row) {
                        try Self.store {
                            try reader.withVector(ofRow: row, .item) { v in
                                guard let v else { return }
                                finalists.push(score: Self.exactScore(metric, qp, v.baseAddress!, count: v.count), id: row)
                            }
                        }
                    }
                    return
                }
            }
            // Many rows: one pass over the store's blocks, scoring the rows that pass.
            try Self.store {
                try reader.forEachVectorBlock(.item) { block in
                    let d = dimension
                    for offset in 0..<block.count {
                        let row = block.firstRow + UInt32(offset)
                        guard filter.accepts(row) else { continue }
                        let v = block.vectors.baseAddress! + offset * d
                        guard !v[0].isNaN else { continue }
                        finalists.push(score: Self.exactScore(metric, qp, v, count: d), id: row)
                    }
                    return true
                }
            }
        }
        return finalists.sorted()
    }
}
