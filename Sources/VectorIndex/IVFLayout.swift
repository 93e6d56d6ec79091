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
