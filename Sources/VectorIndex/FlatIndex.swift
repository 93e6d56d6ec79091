import Store
import VectorMath

/// Exact search over every stored item vector by BLAS matrix products: the ground truth for
/// every other index, and the answer when a filter passes few items.
///
/// Batched queries are scored a group at a time (one matrix product per block and group), so
/// each block of the map is read once per group. Results are (row, score) by descending score,
/// ties by smaller row; scores follow `Metric` (higher is better).
public struct FlatIndex {
    public let metric: Metric
    public let dimension: Int
    /// Queries scored together per pass over the store.
    public static let queryGroup = 256
    public static let maxK = 100_000

    private var scanner: ExactScanner

    public init(meta: StoreMeta, k: Int = 10) {
        metric = meta.metric
        dimension = meta.dimension
        scanner = ExactScanner(metric: meta.metric, dimension: meta.dimension, k: k, maxQueries: FlatIndex.queryGroup)
    }

    /// Top `k` item rows for each of the row-major `queries`, optionally restricted to rows that
    /// `accept` lets through.
    public mutating func search(_ reader: StoreReader, queries: UnsafeBufferPointer<Float>, k: Int,
                                accept: ((UInt32) -> Bool)? = nil) throws -> [[ScoredID]] {
        guard (1...Self.maxK).contains(k) else { throw IndexError.invalidK(k) }
        guard queries.count % dimension == 0 else {
            throw IndexError.queryCountMismatch(floats: queries.count, dimension: dimension)
        }
        let total = queries.count / dimension
        var results: [[ScoredID]] = []
        results.reserveCapacity(total)
        var start = 0
        while start < total {
            let n = min(Self.queryGroup, total - start)
            scanner.setQueries(UnsafeBufferPointer(rebasing: queries[start * dimension ..< (start + n) * dimension]), count: n, k: k)
            do {
                try reader.forEachVectorBlock(.item) { block in
                    scanner.scan(block: block.vectors.baseAddress!, count: block.count, firstID: block.firstRow,
                                 squaredNorms: block.squaredNorms.baseAddress, accept: accept)
                    return true
                }
            } catch let error as StoreError {
                throw IndexError.store(error)
            }
            for q in 0..<n { results.append(scanner.results(query: q)) }
            start += n
        }
        return results
    }

    /// Top `k` for one query vector.
    public mutating func search(_ reader: StoreReader, query: [Float], k: Int,
                                accept: ((UInt32) -> Bool)? = nil) throws -> [ScoredID] {
        guard query.count == dimension else { throw IndexError.dimensionMismatch(expected: dimension, got: query.count) }
        return try query.withUnsafeBufferPointer { try search(reader, queries: $0, k: k, accept: accept)[0] }
    }
}
