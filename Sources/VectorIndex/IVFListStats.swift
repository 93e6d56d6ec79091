/// One list's summary, kept for all lists in one value so that ranking lists for a query reads
/// it in place. Record: `count u32 | maxResidualNorm f32 | centroidSquaredNorm f32 | maxSquaredNorm f32`.
public struct IVFListStats: Sendable, Equatable {
    /// Rows in the list.
    public var count: Int
    /// Largest `|x - c|` of the list's rows (the inner-product ranking bound uses it).
    public var maxResidualNorm: Float
    /// `|c|^2` of the list's centroid.
    public var centroidSquaredNorm: Float
    /// Largest `|x|^2` of the list's rows.
    public var maxSquaredNorm: Float

    public init(count: Int = 0, maxResidualNorm: Float = 0, centroidSquaredNorm: Float = 0, maxSquaredNorm: Float = 0) {
        self.count = count
        self.maxResidualNorm = maxResidualNorm
        self.centroidSquaredNorm = centroidSquaredNorm
        self.maxSquaredNorm = maxSquaredNorm
    }

    /// Reads record `list` of a `list_stats` value.
    @inlinable
    public static func read(_ raw: UnsafeRawBufferPointer, list: Int) -> IVFListStats {
        let o = list * IVFLayout.listStatsBytes
        return IVFListStats(count: Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self))),
                            maxResidualNorm: raw.loadUnaligned(fromByteOffset: o + 4, as: Float.self),
                            centroidSquaredNorm: raw.loadUnaligned(fromByteOffset: o + 8, as: Float.self),
                            maxSquaredNorm: raw.loadUnaligned(fromByteOffset: o + 12, as: Float.self))
    }

    /// Writes this record as record `list` of a `list_stats` value.
    public func write(into raw: UnsafeMutableRawBufferPointer, list: Int) {
        let o = list * IVFLayout.listStatsBytes
        raw.storeBytes(of: UInt32(count).littleEndian, toByteOffset: o, as: UInt32.self)
        raw.storeBytes(of: maxResidualNorm, toByteOffset: o + 4, as: Float.self)
        raw.storeBytes(of: centroidSquaredNorm, toByteOffset: o + 8, as: Float.self)
        raw.storeBytes(of: maxSquaredNorm, toByteOffset: o + 12, as: Float.self)
    }

    /// Encodes all lists' records.
    public static func encode(_ stats: [IVFListStats]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: stats.count * IVFLayout.listStatsBytes)
        bytes.withUnsafeMutableBytes { raw in for (i, s) in stats.enumerated() { s.write(into: raw, list: i) } }
        return bytes
    }

    /// Decodes all records of a `list_stats` value; nil when its size is not a whole number of records.
    public static func decode(_ raw: UnsafeRawBufferPointer) -> [IVFListStats]? {
        guard raw.count % IVFLayout.listStatsBytes == 0 else { return nil }
        return (0 ..< raw.count / IVFLayout.listStatsBytes).map { read(raw, list: $0) }
    }
}
