/// The IVF index's tables inside a store's LMDB environment, layout version 1. Frozen: table
/// names, meta keys, codes and the posting-list layout; changing any of them needs a new
/// `version` (a reader refuses another version). docs/STORAGE.md ("IVF tables") says the same
/// for people. Keys are big-endian numbers or UTF-8 names; values are little-endian.
public enum IVFLayout {
    public static let version: UInt32 = 1

    /// Rows per value of `ivf_assignments`.
    public static let rowsPerAssignmentBlock = 16_384
    /// The assignment of a row that is in no list.
    public static let noList = UInt32.max
    /// Bytes of one `list_stats` record.
    public static let listStatsBytes = 16

    public enum Table: String, CaseIterable, Sendable {
        case meta = "ivf_meta"                 // UTF-8 name -> scalar (MetaKey)
        case model = "ivf_model"               // UTF-8 name -> float32 arrays (ModelKey)
        case lists = "ivf_lists"               // list u32 BE -> posting list (IVFPostingList)
        case assignments = "ivf_assignments"   // block u32 BE -> u32 list of each row, noList if none
    }

    /// Scalars of `ivf_meta`.
    public enum MetaKey: String, CaseIterable, Sendable {
        case layoutVersion = "layout_version"   // u32
        case lists                              // u32: nlist
        case dimension                          // u32
        case metric                             // u8, Metric.code (the store's)
        case encoding                           // u8, IVFEncoding
        case nprobe                             // u32: default lists probed
        case seed                               // u64: k-means seed
        case iterations                         // u32: k-means iterations
        case trainingPoints = "training_points" // u64: points k-means was trained on
        case boundWeight = "bound_weight"       // u32: bits of a float32 (inner-product list ranking)
        case entries                            // u64: rows held in the lists
        case buildID = "build_id"               // u64: bumped by every build (not by inserts)
        case storeSequence = "store_sequence"   // u64: the store's write_sequence after the last IVF write
    }

    /// Arrays of `ivf_model`.
    public enum ModelKey: String, CaseIterable, Sendable {
        case centroids                          // nlist x dimension float32
        case listStats = "list_stats"           // nlist x 16 bytes (IVFListStats)
        case int8Offset = "int8_offset"         // dimension float32 (int8 encoding only)
        case int8Scale = "int8_scale"           // dimension float32 (int8 encoding only)
    }
}

/// How a posting list holds its vectors.
public enum IVFEncoding: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// The vectors as stored.
    case float32 = 1
    /// The residual to the list's centroid, one signed byte per component:
    /// `r[j] ~ offset[j] + scale[j] * code[j]` (scales trained per dimension).
    case int8 = 2

    public var description: String { self == .float32 ? "float32" : "int8" }

    /// Bytes per vector component.
    public var componentBytes: Int { self == .float32 ? 4 : 1 }
}

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
