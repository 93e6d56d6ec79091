/// One posting list as stored in `ivf_lists`, read in place from the map:
///
/// ```
/// count u32 | reserved u32 x 3                      16 bytes
/// ids:     count x u32 (item rows), zero-padded to a multiple of 16 bytes
/// norms:   count x f32 (|x|^2 of each row as stored), zero-padded to a multiple of 16 bytes
/// vectors: count x dimension x (f32 | i8 residual code), row-major
/// ```
///
/// A probe is one sequential pass over this value. Sections start on 16-byte boundaries of the
/// value; LMDB puts large values at page boundaries (+16), and a small value that is not even
/// 4-byte aligned is copied before use (`IVFTables.withList`).
public struct IVFPostingList {
    public static let headerBytes = 16

    public let count: Int
    public let dimension: Int
    public let encoding: IVFEncoding
    public let ids: UnsafePointer<UInt32>
    public let norms: UnsafePointer<Float>
    /// `count x dimension` components: Float for `.float32`, Int8 for `.int8`.
    public let vectors: UnsafeRawPointer

    /// Byte offsets of the sections for a list of `count` rows.
    @inlinable
    public static func offsets(count: Int) -> (ids: Int, norms: Int, vectors: Int) {
        let section = (count * 4 + 15) & ~15
        return (headerBytes, headerBytes + section, headerBytes + 2 * section)
    }

    /// Bytes of a list of `count` rows.
    @inlinable
    public static func byteCount(count: Int, dimension: Int, encoding: IVFEncoding) -> Int {
        offsets(count: count).vectors + count * dimension * encoding.componentBytes
    }

    /// A view over a stored value (4-byte aligned); nil when its size does not fit the header's count.
    public init?(_ raw: UnsafeRawBufferPointer, dimension: Int, encoding: IVFEncoding) {
        guard raw.count >= Self.headerBytes, let base = raw.baseAddress, Int(bitPattern: base) & 3 == 0 else { return nil }
        let count = Int(UInt32(littleEndian: raw.load(as: UInt32.self)))
        guard raw.count == Self.byteCount(count: count, dimension: dimension, encoding: encoding) else { return nil }
        let o = Self.offsets(count: count)
        self.count = count
        self.dimension = dimension
        self.encoding = encoding
        ids = (base + o.ids).assumingMemoryBound(to: UInt32.self)
        norms = (base + o.norms).assumingMemoryBound(to: Float.self)
        vectors = base + o.vectors
    }

    /// Components of row `i` as floats (`.float32` only).
    @inlinable
    public func floatVector(_ i: Int) -> UnsafePointer<Float> {
        vectors.assumingMemoryBound(to: Float.self) + i * dimension
    }

    /// Codes of row `i` (`.int8` only).
    @inlinable
    public func codes(_ i: Int) -> UnsafePointer<Int8> {
        vectors.assumingMemoryBound(to: Int8.self) + i * dimension
    }

    /// Writes the header and zero padding of a list of `count` rows into `raw` (sized by
    /// `byteCount`); the caller fills ids, norms and vectors at `offsets(count:)`.
    public static func writeHeader(count: Int, into raw: UnsafeMutableRawBufferPointer) {
        raw.storeBytes(of: UInt32(count).littleEndian, toByteOffset: 0, as: UInt32.self)
        for i in 4 ..< headerBytes { raw[i] = 0 }
        let o = offsets(count: count)
        for i in (o.ids + count * 4) ..< o.norms { raw[i] = 0 }
        for i in (o.norms + count * 4) ..< o.vectors { raw[i] = 0 }
    }
}
