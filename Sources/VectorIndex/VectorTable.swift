import Store
import VectorMath

/// Direct pointers to every stored item vector and squared norm of one snapshot: row `r` is at
/// `blocks[r >> shift] + (r & mask) * dimension`. Zero-copy: the pointers point into the LMDB
/// map and are valid only while the read transaction that produced them is open (a `Retriever`
/// rebuilds its table when the snapshot changes).
public struct VectorTable {
    public let dimension: Int
    public let rows: Int
    @usableFromInline let shift: UInt32
    @usableFromInline let mask: UInt32
    @usableFromInline var vectorBlocks: [UnsafePointer<Float>?]
    @usableFromInline var normBlocks: [UnsafePointer<Float>?]

    /// Collects the block pointers of `reader`'s snapshot (one cursor pass over the blocks).
    public init(_ reader: StoreReader) throws {
        let meta = try reader.meta()
        precondition(meta.vectorsPerBlock.nonzeroBitCount == 1, "vectors_per_block is a power of two")
        dimension = meta.dimension
        rows = try reader.counts().items
        shift = UInt32(meta.vectorsPerBlock.trailingZeroBitCount)
        mask = UInt32(meta.vectorsPerBlock - 1)
        let blocks = (rows + meta.vectorsPerBlock - 1) / meta.vectorsPerBlock
        var vectors = [UnsafePointer<Float>?](repeating: nil, count: blocks)
        var norms = [UnsafePointer<Float>?](repeating: nil, count: blocks)
        try reader.forEachVectorBlock(.item) { block in
            let b = Int(block.firstRow) / meta.vectorsPerBlock
            vectors[b] = block.vectors.baseAddress
            norms[b] = block.squaredNorms.baseAddress
            return true
        }
        vectorBlocks = vectors
        normBlocks = norms
    }

    /// A table over one contiguous copy: `rows x dimension` floats and `rows` squared norms
    /// (the caller keeps both alive while the table is used).
    init(dimension: Int, rows: Int, vectors: UnsafePointer<Float>, squaredNorms: UnsafePointer<Float>) {
        self.dimension = dimension
        self.rows = rows
        shift = 31
        mask = (1 << 31) - 1
        vectorBlocks = [vectors]
        normBlocks = [squaredNorms]
    }

    /// The vector of `row`, or nil when its block was never written (a vacant row).
    @inlinable
    public func vector(_ row: UInt32) -> UnsafePointer<Float>? {
        vectorBlocks[Int(row >> shift)].map { $0 + Int(row & mask) * dimension }
    }

    /// True when `row` holds a vector (not vacant, not removed).
    @inlinable
    public func hasVector(_ row: UInt32) -> Bool {
        guard Int(row) < rows, let v = vector(row) else { return false }
        return !v.pointee.isNaN
    }

    @inlinable
    public func squaredNorm(_ row: UInt32) -> Float {
        normBlocks[Int(row >> shift)].map { $0[Int(row & mask)] } ?? 0
    }
}

/// A retriever's vector table of the snapshot it searched last, reused while the snapshot is
/// the same (the same transaction object at the same write sequence) and rebuilt otherwise.
public struct VectorTableCache {
    private var table: VectorTable?
    private var key: (ObjectIdentifier, UInt64)?

    public init() {}

    /// The table of `reader`'s snapshot. Throws the store's errors.
    public mutating func table(_ reader: StoreReader) throws -> VectorTable {
        let current = (ObjectIdentifier(reader.transaction), try reader.writeSequence())
        if let table, let key, key == current { return table }
        let fresh = try VectorTable(reader)
        table = fresh
        key = current
        return fresh
    }
}
