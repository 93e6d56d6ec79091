import LMDB
import Store
import VectorMath

/// HNSW in the store's LMDB environment, layout version 1, or 2 with repair links (docs/STORAGE.md, "HNSW tables"):
/// - `hnsw_meta`: UTF-8 name -> little-endian value (parameters, rows, entry point, ...);
/// - `hnsw_level0`: block u32 BE -> `nodesPerBlock` level bytes, then `nodesPerBlock` records of
///   `1 + 2M` u32 (`[n | neighbour rows]`), so opening is one sequential copy;
/// - `hnsw_upper`: row u32 BE -> `level x (1 + M)` u32, for the nodes above level 0;
/// - `hnsw_deleted`: row u32 BE -> empty: tombstones;
/// - `hnsw_codes` (int8 walks only, meta `int8` = 1 with the quantizer's `sq_lower`/`sq_upper`
///   as little-endian f32 arrays): block u32 BE -> `nodesPerBlock x dim` code bytes, then
///   `nodesPerBlock` f32 score offsets (see `HNSWCodes`). Readers without int8 support ignore it.
public enum HNSWStorage {
    /// Layout 2 is layout 1 whose level-0 lists may hold repair links (`HNSWGraph.repairFlag`,
    /// the top bit of a neighbour row): written by a build with `linkUnreachable` only, so a
    /// reader of layout 1 refuses such a graph instead of following row numbers past 2^31.
    static let version: UInt32 = 2
    static let versionWithoutRepairs: UInt32 = 1
    static let nodesPerBlock = 1024
    static let tables = ["hnsw_meta", "hnsw_level0", "hnsw_upper", "hnsw_deleted", "hnsw_codes"]

    struct Tables {
        let meta, level0, upper, deleted: Database
        /// Absent in stores built before int8 walks existed (opened read-only).
        let codes: Database?

        /// Opens the tables in their own transaction.
        init(_ store: EmbeddingStore, create: Bool) throws {
            let env = store.environment
            meta = try env.openDatabase("hnsw_meta", create: create)
            level0 = try env.openDatabase("hnsw_level0", create: create)
            upper = try env.openDatabase("hnsw_upper", create: create)
            deleted = try env.openDatabase("hnsw_deleted", create: create)
            codes = try? env.openDatabase("hnsw_codes", create: create)
        }

        /// Opens (creating) the tables inside a write transaction that is already open.
        init(_ txn: Transaction) throws {
            meta = try txn.openDatabase("hnsw_meta", create: true)
            level0 = try txn.openDatabase("hnsw_level0", create: true)
            upper = try txn.openDatabase("hnsw_upper", create: true)
            deleted = try txn.openDatabase("hnsw_deleted", create: true)
            codes = try txn.openDatabase("hnsw_codes", create: true)
        }
    }

    /// Lines for `annctl info` about the HNSW index of the store: its parameters, the
    /// rows it covers and whether the store has rows it does not. Empty without an index.
    public static func report(_ store: EmbeddingStore) throws -> [String] {
        guard let tables = try? Tables(store, create: false) else { return [] }
        return try store.read { reader in try report(tables, reader) }
    }

    private static func report(_ tables: Tables, _ reader: StoreReader) throws -> [String] {
        let txn = reader.transaction
        func value<T: FixedWidthInteger>(_ key: String, _ type: T.Type) throws -> T? {
            try txn.bytes(forKey: Array(key.utf8), in: tables.meta).flatMap { b in b.withUnsafeBytes { KeyCodec.decode(T.self, $0) } }
        }
        guard let v = try value("version", UInt32.self) else { return [] }
        let m = try value("m", UInt32.self) ?? 0, efc = try value("ef_construction", UInt32.self) ?? 0
        let ef = try value("ef_search", UInt32.self) ?? 0, rows = Int(try value("rows", UInt64.self) ?? 0)
        let int8 = try value("int8", UInt8.self) == 1
        let items = try reader.counts().items
        let state = rows == items ? "covers every item row" : "stale: covers \(rows) rows, the store holds \(items) (annctl build --index hnsw)"
        let repairs = v == version ? ", repair links (followed when \(HNSWParameters.repairRule))" : ""
        return ["hnsw             layout \(v), M \(m), efConstruction \(efc), ef \(ef), \(rows) rows\(int8 ? ", int8 walk" : "")\(repairs)",
                "hnsw state       \(state)"]
    }

    /// True when the store holds an HNSW index.
    static func exists(_ store: EmbeddingStore) -> Bool {
        guard let tables = try? Tables(store, create: false) else { return false }
        return (try? store.environment.read { txn in try txn.bytes(forKey: Array("version".utf8), in: tables.meta) }) != nil
    }

    // MARK: save

    /// Writes the whole index (replacing any previous one) in `writer`'s transaction.
    static func save(_ index: HNSWSearchIndex, _ writer: StoreWriter) throws {
        let txn = writer.transaction
        let tables = try Tables(txn)
        for t in [tables.meta, tables.level0, tables.upper, tables.deleted, tables.codes!] { try txn.empty(t) }
        try saveMeta(index, writer, tables)
        let graph = index.graph
        let blocks = (graph.count + nodesPerBlock - 1) / nodesPerBlock
        for b in 0..<blocks {
            try saveBlock(b, graph, txn, tables)
            if let codes = index.codes { try saveCodes(b, codes, rows: graph.count, txn, tables) }
        }
        for r in 0..<graph.count where graph.levels[r] != HNSWGraph.notInGraph && graph.levels[r] > 0 {
            try saveUpper(UInt32(r), graph, txn, tables)
        }
        for r in graph.deleted.rows { try KeyCodec.withRowKey(r) { k in try txn.put(UnsafeRawBufferPointer(start: nil, count: 0), forKey: k, in: tables.deleted) } }
        index.dirty = RowBitmap()
    }

    /// Writes what online inserts and deletes changed since the last save.
    static func saveChanges(_ index: HNSWSearchIndex, _ writer: StoreWriter) throws {
        let txn = writer.transaction
        let tables = try Tables(txn)
        let graph = index.graph
        try saveMeta(index, writer, tables)
        var blocks = Set<Int>()
        for r in index.dirty.rows {
            blocks.insert(Int(r) / nodesPerBlock)
            if graph.isInGraph(r) && graph.levels[Int(r)] > 0 { try saveUpper(r, graph, txn, tables) }
            if graph.deleted.contains(r) {
                try KeyCodec.withRowKey(r) { k in try txn.put(UnsafeRawBufferPointer(start: nil, count: 0), forKey: k, in: tables.deleted) }
            }
        }
        for b in blocks.sorted() {
            try saveBlock(b, graph, txn, tables)
            if let codes = index.codes { try saveCodes(b, codes, rows: graph.count, txn, tables) }
        }
        index.dirty = RowBitmap()
    }

    private static func saveMeta(_ index: HNSWSearchIndex, _ writer: StoreWriter, _ tables: Tables) throws {
        let p = index.parameters
        let graph = index.graph
        let values: [(String, [UInt8])] = [
            ("version", KeyCodec.encode(p.linkUnreachable ? version : versionWithoutRepairs)), ("m", KeyCodec.encode(UInt32(p.m))),
            ("ef_construction", KeyCodec.encode(UInt32(p.efConstruction))), ("ef_search", KeyCodec.encode(UInt32(p.efSearch))),
            ("seed", KeyCodec.encode(p.seed)), ("head_fraction", KeyCodec.encode(p.headFraction.bitPattern)),
            ("angular", [p.links.rawValue]), ("rows", KeyCodec.encode(UInt64(graph.count))),
            ("entry_point", KeyCodec.encode(graph.entryPoint)), ("max_level", KeyCodec.encode(Int32(graph.maxLevel))),
            ("metric", [index.metric.code]), ("int8", [index.codes == nil ? 0 : 1]),
        ]
        if index.linkMode == .augmented {
            try writer.transaction.put(KeyCodec.encode(index.linkTerms.radiusSquared.bitPattern), forKey: Array("augment_r2".utf8), in: tables.meta)
        }
        if let codes = index.codes {
            try writer.transaction.put(floatBytes(codes.quantizer.lower), forKey: Array("sq_lower".utf8), in: tables.meta)
            try writer.transaction.put(floatBytes(codes.quantizer.upper), forKey: Array("sq_upper".utf8), in: tables.meta)
        }
        for (key, value) in values { try writer.transaction.put(value, forKey: Array(key.utf8), in: tables.meta) }
    }

    private static func saveBlock(_ b: Int, _ graph: HNSWGraph, _ txn: Transaction, _ tables: Tables) throws {
        let first = b * nodesPerBlock
        let n = min(nodesPerBlock, graph.count - first)
        let record = 1 + graph.m0
        let levelBytes = (nodesPerBlock + 3) & ~3
        let size = levelBytes + nodesPerBlock * record * 4
        try KeyCodec.withRowKey(UInt32(b)) { k in
            try txn.reserve(size, forKey: k, in: tables.level0) { out in
                out.initializeMemory(as: UInt8.self, repeating: 0)
                out.baseAddress!.copyMemory(from: graph.levels + first, byteCount: n)
                (out.baseAddress! + levelBytes).copyMemory(from: graph.level0 + first * record, byteCount: n * record * 4)
            }
        }
    }

    private static func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { v -> [UInt8] in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    private static func floats(_ bytes: UnsafeRawBufferPointer) -> [Float] {
        (0..<bytes.count / 4).map { i in Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
    }

    private static func saveCodes(_ b: Int, _ codes: HNSWCodes, rows: Int, _ txn: Transaction, _ tables: Tables) throws {
        let first = b * nodesPerBlock
        let n = min(nodesPerBlock, rows - first)
        let d = codes.dimension
        try KeyCodec.withRowKey(UInt32(b)) { k in
            try txn.reserve(nodesPerBlock * (d + 4), forKey: k, in: tables.codes!) { out in
                out.initializeMemory(as: UInt8.self, repeating: 0)
                codes.store(first: first, count: n, into: out.baseAddress!, stride: nodesPerBlock)
            }
        }
    }

    private static func saveUpper(_ r: UInt32, _ graph: HNSWGraph, _ txn: Transaction, _ tables: Tables) throws {
        let level = Int(graph.levels[Int(r)])
        try KeyCodec.withRowKey(r) { k in
            try txn.put(UnsafeRawBufferPointer(start: graph.upper[Int(r)]!, count: level * (1 + graph.m) * 4), forKey: k, in: tables.upper)
        }
    }

    // MARK: load

    private static func loadCodes(_ txn: Transaction, _ tables: Tables, rows: Int, dimension d: Int,
                                  metric: Metric) throws -> HNSWCodes {
        func floatsMeta(_ key: String) throws -> [Float] {
            guard let bytes = try txn.bytes(forKey: Array(key.utf8), in: tables.meta), bytes.count == d * 4 else {
                throw IndexError.corruptIndex(table: "hnsw", reason: "hnsw_meta: \(key) missing or not \(d) floats")
            }
            return bytes.withUnsafeBytes { floats($0) }
        }
        let lower = try floatsMeta("sq_lower"), upper = try floatsMeta("sq_upper")
        guard zip(lower, upper).allSatisfy({ $0.isFinite && $1.isFinite && $0 <= $1 }) else {
            throw IndexError.corruptIndex(table: "hnsw", reason: "hnsw_meta: sq_lower/sq_upper not finite and ordered")
        }
        let codes = HNSWCodes(quantizer: ScalarQuantizer(lower: lower, upper: upper), metric: metric, capacity: rows)
        guard let table = tables.codes else {
            throw IndexError.corruptIndex(table: "hnsw", reason: "hnsw_meta says int8 but hnsw_codes is missing")
        }
        try txn.withCursor(table) { cursor in
            var entry = try cursor.first()
            while let (key, value) = entry {
                guard let b = KeyCodec.decodeRowKey(key), value.count == nodesPerBlock * (d + 4) else {
                    throw IndexError.corruptIndex(table: "hnsw", reason: "hnsw_codes block of \(value.count) bytes")
                }
                let first = Int(b) * nodesPerBlock
                let n = min(nodesPerBlock, rows - first)
                if n > 0 {
                    codes.load(first: first, count: n, from: value.baseAddress!, stride: nodesPerBlock)
                }
                entry = try cursor.next()
            }
        }
        return codes
    }

    /// Loads the index: one sequential copy of the level-0 blocks, the upper lists, the
    /// tombstones; then the head rows from the store's norms.
    static func load(_ store: EmbeddingStore) throws -> HNSWSearchIndex {
        guard let tables = try? Tables(store, create: false) else { throw IndexError.notBuilt(.hnsw) }
        return try store.read { reader in
            let txn = reader.transaction
            func meta<T: FixedWidthInteger>(_ key: String, _ type: T.Type) throws -> T {
                guard let bytes = try txn.bytes(forKey: Array(key.utf8), in: tables.meta),
                      let value = bytes.withUnsafeBytes({ KeyCodec.decode(T.self, $0) }) else {
                    throw IndexError.corruptIndex(table: "hnsw", reason: "hnsw_meta: \(key) missing or malformed")
                }
                return value
            }
            let v = try meta("version", UInt32.self)
            guard v == version || v == versionWithoutRepairs else {
                throw IndexError.corruptIndex(table: "hnsw", reason: "hnsw layout version \(v); this build reads \(versionWithoutRepairs) and \(version)")
            }
            let storeMeta = try reader.meta()
            guard try meta("metric", UInt8.self) == storeMeta.metric.code else { throw IndexError.corruptIndex(table: "hnsw", reason: "hnsw metric differs from the store's") }
            var p = HNSWParameters()
            p.m = Int(try meta("m", UInt32.self))
            p.efConstruction = Int(try meta("ef_construction", UInt32.self))
            p.efSearch = Int(try meta("ef_search", UInt32.self))
            p.seed = try meta("seed", UInt64.self)
            p.headFraction = Double(bitPattern: try meta("head_fraction", UInt64.self))
            let linksCode = try meta("angular", UInt8.self)
            guard let links = HNSWLinks(rawValue: linksCode) else {
                throw IndexError.corruptIndex(table: "hnsw", reason: "hnsw link kind \(linksCode); this build reads 0, 1 and 2")
            }
            p.links = links
            p.int8 = (try? meta("int8", UInt8.self)) == 1
            p.linkUnreachable = v == version
            let rows = Int(try meta("rows", UInt64.self))
            let storeRows = try reader.counts().items
            guard rows == storeRows else { throw IndexError.stale(indexRows: rows, storeRows: storeRows) }
            let graph = HNSWGraph(m: p.m, capacity: rows)
            graph.count = rows
            graph.entryPoint = try meta("entry_point", UInt32.self)
            graph.maxLevel = Int(try meta("max_level", Int32.self))
            let record = 1 + graph.m0
            let levelBytes = (nodesPerBlock + 3) & ~3
            try txn.withCursor(tables.level0) { cursor in
                var entry = try cursor.first()
                while let (key, value) = entry {
                    guard let b = KeyCodec.decodeRowKey(key), value.count == levelBytes + nodesPerBlock * record * 4 else {
                        throw IndexError.corruptIndex(table: "hnsw", reason: "hnsw_level0 block of \(value.count) bytes")
                    }
                    let first = Int(b) * nodesPerBlock
                    let n = min(nodesPerBlock, rows - first)
                    if n > 0 {
                        (graph.levels + first).withMemoryRebound(to: UInt8.self, capacity: n) {
                            UnsafeMutableRawPointer($0).copyMemory(from: value.baseAddress!, byteCount: n)
                        }
                        UnsafeMutableRawPointer(graph.level0 + first * record)
                            .copyMemory(from: value.baseAddress! + levelBytes, byteCount: n * record * 4)
                    }
                    entry = try cursor.next()
                }
            }
            try txn.withCursor(tables.upper) { cursor in
                var entry = try cursor.first()
                while let (key, value) = entry {
                    guard let r = KeyCodec.decodeRowKey(key), Int(r) < rows else { throw IndexError.corruptIndex(table: "hnsw", reason: "hnsw_upper key") }
                    let level = Int(graph.levels[Int(r)])
                    guard level != Int(HNSWGraph.notInGraph), value.count == level * (1 + graph.m) * 4 else {
                        throw IndexError.corruptIndex(table: "hnsw", reason: "hnsw_upper row \(r): \(value.count) bytes for level \(level)")
                    }
                    let p = UnsafeMutablePointer<UInt32>.allocate(capacity: level * (1 + graph.m))
                    UnsafeMutableRawPointer(p).copyMemory(from: value.baseAddress!, byteCount: value.count)
                    graph.upper[Int(r)] = p
                    entry = try cursor.next()
                }
            }
            try txn.withCursor(tables.deleted) { cursor in
                var entry = try cursor.first()
                while let (key, _) = entry {
                    if let r = KeyCodec.decodeRowKey(key) { graph.deleted.insert(r) }
                    entry = try cursor.next()
                }
            }
            let table = try VectorTable(reader)
            let mode = LinkMode(metric: storeMeta.metric, parameters: p)
            let radiusSquared = mode == .augmented ? Float(bitPattern: try meta("augment_r2", UInt32.self)) : 0
            let terms = LinkTerms(mode: mode, radiusSquared: radiusSquared)
            let index = HNSWSearchIndex(graph: graph, parameters: p, meta: storeMeta, linkTerms: terms)
            index.selectHead(table)
            if p.int8 {
                index.codes = try loadCodes(txn, tables, rows: rows, dimension: storeMeta.dimension, metric: storeMeta.metric)
            }
            return index
        }
    }
}
