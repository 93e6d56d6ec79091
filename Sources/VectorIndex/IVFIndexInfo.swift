import LMDB
import Store
import VectorMath

/// What `ivf_meta` says about a built IVF index.
public struct IVFIndexInfo: Sendable, Equatable {
    public var lists: Int
    public var dimension: Int
    public var metric: Metric
    public var encoding: IVFEncoding
    /// Lists probed when a query does not say.
    public var nprobe: Int
    public var seed: UInt64
    public var iterations: Int
    public var trainingPoints: Int
    /// Weight of `|q| * maxResidualNorm` in the inner-product list ranking.
    public var boundWeight: Float
    /// Rows held in the lists.
    public var entries: Int
    /// Bumped by every build; a snapshot with another build id holds other lists and centroids.
    public var buildID: UInt64
    /// The store's write sequence right after the index was last written: a store whose
    /// sequence differs was changed by a write that did not go through the index.
    public var storeSequence: UInt64

    /// Reads the meta of the index in `txn`; nil when the tables hold no index.
    static func load(_ tables: IVFTables, in txn: Transaction) throws -> IVFIndexInfo? {
        guard let version = try tables.metaValue(.layoutVersion, as: UInt32.self, in: txn) else { return nil }
        guard version == IVFLayout.version else {
            throw IndexError.layoutVersionMismatch(.ivf, expected: IVFLayout.version, got: version)
        }
        let metricCode = try tables.requireMeta(.metric, as: UInt8.self, in: txn)
        guard let metric = Metric(code: metricCode) else {
            throw IndexError.corruptIndex(table: IVFLayout.Table.meta.rawValue, reason: "unknown metric code \(metricCode)")
        }
        let encodingCode = try tables.requireMeta(.encoding, as: UInt8.self, in: txn)
        guard let encoding = IVFEncoding(rawValue: encodingCode) else {
            throw IndexError.corruptIndex(table: IVFLayout.Table.meta.rawValue, reason: "unknown encoding code \(encodingCode)")
        }
        return IVFIndexInfo(
            lists: Int(try tables.requireMeta(.lists, as: UInt32.self, in: txn)),
            dimension: Int(try tables.requireMeta(.dimension, as: UInt32.self, in: txn)),
            metric: metric,
            encoding: encoding,
            nprobe: Int(try tables.requireMeta(.nprobe, as: UInt32.self, in: txn)),
            seed: try tables.requireMeta(.seed, as: UInt64.self, in: txn),
            iterations: Int(try tables.requireMeta(.iterations, as: UInt32.self, in: txn)),
            trainingPoints: Int(try tables.requireMeta(.trainingPoints, as: UInt64.self, in: txn)),
            boundWeight: Float(bitPattern: try tables.requireMeta(.boundWeight, as: UInt32.self, in: txn)),
            entries: Int(try tables.requireMeta(.entries, as: UInt64.self, in: txn)),
            buildID: try tables.requireMeta(.buildID, as: UInt64.self, in: txn),
            storeSequence: try tables.requireMeta(.storeSequence, as: UInt64.self, in: txn))
    }

    /// Writes every field into `ivf_meta`.
    func save(_ tables: IVFTables, in txn: Transaction) throws {
        try tables.putMeta(.layoutVersion, IVFLayout.version, in: txn)
        try tables.putMeta(.lists, UInt32(lists), in: txn)
        try tables.putMeta(.dimension, UInt32(dimension), in: txn)
        try tables.putMeta(.metric, metric.code, in: txn)
        try tables.putMeta(.encoding, encoding.rawValue, in: txn)
        try tables.putMeta(.nprobe, UInt32(nprobe), in: txn)
        try tables.putMeta(.seed, seed, in: txn)
        try tables.putMeta(.iterations, UInt32(iterations), in: txn)
        try tables.putMeta(.trainingPoints, UInt64(trainingPoints), in: txn)
        try tables.putMeta(.boundWeight, boundWeight.bitPattern, in: txn)
        try tables.putMeta(.entries, UInt64(entries), in: txn)
        try tables.putMeta(.buildID, buildID, in: txn)
        try tables.putMeta(.storeSequence, storeSequence, in: txn)
    }
}
