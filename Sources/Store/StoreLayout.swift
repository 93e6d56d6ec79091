/// The on-disk layout, format version 1. Everything here is frozen: renaming a table or
/// renumbering a code breaks stored data. A change needs a new `formatVersion`.
/// docs/STORAGE.md describes the same layout for people.
public enum StoreLayout {
    public static let formatVersion: UInt32 = 1

    /// Element type codes stored in meta.
    public static let elementFloat32: UInt8 = 1

    public enum Table: String, CaseIterable, Sendable {
        case meta
        case itemIDs = "item_ids"            // external id key -> internal u32 (LE)
        case itemRows = "item_rows"          // internal u32 (BE) -> external id key
        case userIDs = "user_ids"
        case userRows = "user_rows"
        case itemVectors = "item_vectors"    // block u32 (BE) -> vectorsPerBlock x dim float32
        case itemNorms = "item_norms"        // block u32 (BE) -> vectorsPerBlock float32 squared norms
        case userVectors = "user_vectors"
        case userNorms = "user_norms"
        case featureColumns = "feature_columns"        // entity u8 + name -> column u16, kind u8, labels u32 (LE)
        case featureLabels = "feature_labels"          // entity u8 + column u16 (BE) + label -> code u32 (LE)
        case featureLabelNames = "feature_label_names" // entity u8 + column u16 + code u32 (BE) -> label
        case itemFeatures = "item_features"  // internal u32 (BE) -> feature record
        case userFeatures = "user_features"
        case userHistory = "user_history"    // user internal u32 (BE) -> 16-byte entries sorted by time

        /// Tables created and used by index kinds live next to these (`hnsw_*`, `ivf_*`).
        public static func ids(_ e: Entity) -> Table { e == .item ? .itemIDs : .userIDs }
        public static func rows(_ e: Entity) -> Table { e == .item ? .itemRows : .userRows }
        public static func vectors(_ e: Entity) -> Table { e == .item ? .itemVectors : .userVectors }
        public static func norms(_ e: Entity) -> Table { e == .item ? .itemNorms : .userNorms }
        public static func features(_ e: Entity) -> Table { e == .item ? .itemFeatures : .userFeatures }
    }

    /// Keys of the meta table (UTF-8) and the encodings of their values (little-endian).
    public enum MetaKey: String, CaseIterable, Sendable {
        case formatVersion = "format_version"      // u32
        case dimension                             // u32
        case metric                                // u8, Metric.code
        case elementType = "element_type"          // u8
        case vectorsPerBlock = "vectors_per_block" // u32
        case itemCount = "item_count"              // u64: internal item ids assigned
        case userCount = "user_count"              // u64
        case itemVectorCount = "item_vector_count" // u64: rows that hold a vector
        case userVectorCount = "user_vector_count" // u64
        case writeSequence = "write_sequence"      // u64: bumped by every write transaction

        static func count(_ e: Entity) -> MetaKey { e == .item ? .itemCount : .userCount }
        static func vectorCount(_ e: Entity) -> MetaKey { e == .item ? .itemVectorCount : .userVectorCount }
    }

    /// Vectors per block: a power of two giving blocks of about 1 MiB and never under 64 KiB, so
    /// every block lives in LMDB overflow pages (page-aligned, contiguous, zero-copy readable).
    public static func vectorsPerBlock(dimension: Int) -> Int {
        let rowBytes = dimension * 4
        var n = 1
        while n * 2 * rowBytes <= 1 << 20 { n *= 2 }
        while n * rowBytes < 64 << 10 { n *= 2 }
        return n
    }
}
