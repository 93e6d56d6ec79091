import VectorMath

/// One byte per vector component for every row (`ScalarQuantizer`: per-dimension range, 256
/// steps), in huge-page memory: the graph walk of an int8 HNSW scores neighbours on these
/// (a quarter of the bytes of float32) and re-scores only its final candidates in float32.
///
/// Each row is `dimension` code bytes followed by its score offset (a little-endian f32, read
/// unaligned), so scoring a neighbour touches only the lines of its own row. The offset is
/// subtracted from every score of the row: the decoded squared norm for L2 (score =
/// 2 q.x^ - |q|^2 - |x^|^2 = -|q - x^|^2), 0 for inner product, NaN for a row without a vector
/// (a NaN score is a dead end of the walk, as with float32).
final class HNSWCodes {
    let quantizer: ScalarQuantizer
    let dimension: Int
    let metric: Metric
    /// Bytes per row: the codes and the offset.
    let rowBytes: Int
    private(set) var capacity: Int
    private var buffer: HugePageBuffer
    private(set) var rows: UnsafeMutablePointer<UInt8>

    init(quantizer: ScalarQuantizer, metric: Metric, capacity: Int) {
        self.quantizer = quantizer
        self.dimension = quantizer.dimension
        self.metric = metric
        rowBytes = quantizer.dimension + 4
        self.capacity = max(capacity, 1)
        buffer = HugePageBuffer(bytes: self.capacity * rowBytes)
        rows = buffer.base.bindMemory(to: UInt8.self, capacity: self.capacity * rowBytes)
        for r in 0..<self.capacity { setOffset(.nan, UInt32(r)) }
    }

    /// The codes of `row`.
    @inline(__always)
    func codes(_ row: UInt32) -> UnsafeMutablePointer<UInt8> { rows + Int(row) * rowBytes }

    /// The score offset of `row`.
    @inline(__always)
    func offset(_ row: UInt32) -> Float {
        UnsafeRawPointer(rows + Int(row) * rowBytes + dimension).loadUnaligned(as: Float.self)
    }

    @inline(__always)
    private func setOffset(_ value: Float, _ row: UInt32) {
        UnsafeMutableRawPointer(rows + Int(row) * rowBytes + dimension).storeBytes(of: value, as: Float.self)
    }

    /// Trains the quantizer on up to `sampleRows` rows of `table` spread over it (each
    /// dimension's 0.01% and 99.99% quantiles: a rare outlier does not stretch the steps; it is
    /// clipped, and the float32 re-scoring of the final candidates corrects its score).
    static func train(_ table: VectorTable, sampleRows: Int = 65_536) -> ScalarQuantizer {
        let d = table.dimension
        var live: [UInt32] = []
        let stride = max(1, table.rows / max(sampleRows, 1))
        var r = 0
        while r < table.rows {
            if table.hasVector(UInt32(r)) { live.append(UInt32(r)) }
            r += stride
        }
        guard !live.isEmpty else {
            return ScalarQuantizer(lower: [Float](repeating: 0, count: d), upper: [Float](repeating: 0, count: d))
        }
        var sample = [Float](repeating: 0, count: live.count * d)
        sample.withUnsafeMutableBufferPointer { s in
            for (i, row) in live.enumerated() { (s.baseAddress! + i * d).update(from: table.vector(row)!, count: d) }
        }
        return sample.withUnsafeBufferPointer {
            ScalarQuantizer(training: $0, dimension: d, clipFraction: live.count >= 10_000 ? 0.0001 : 0)
        }
    }

    /// Encodes every row of `table` (rows without a vector get a NaN offset).
    static func encode(_ table: VectorTable, metric: Metric, quantizer: ScalarQuantizer) -> HNSWCodes {
        let codes = HNSWCodes(quantizer: quantizer, metric: metric, capacity: table.rows)
        for r in 0..<table.rows { codes.encode(UInt32(r), table) }
        return codes
    }

    /// (Re-)encodes `row` from `table` (growing the arrays when needed).
    func encode(_ row: UInt32, _ table: VectorTable) {
        reserve(Int(row) + 1)
        let at = codes(row)
        guard table.hasVector(row), let v = table.vector(row) else {
            at.update(repeating: 0, count: dimension)
            setOffset(.nan, row)
            return
        }
        let norm = quantizer.encode(v, into: at)
        setOffset(metric == .l2 ? norm : 0, row)
    }

    /// Grows the arrays to hold rows `0 ..< n` (not while searches run).
    func reserve(_ n: Int) {
        guard n > capacity else { return }
        let newCapacity = max(n, capacity + capacity / 2)
        let grown = HugePageBuffer(bytes: newCapacity * rowBytes)
        let newRows = grown.base.bindMemory(to: UInt8.self, capacity: newCapacity * rowBytes)
        newRows.update(from: rows, count: capacity * rowBytes)
        let old = capacity
        buffer = grown
        rows = newRows
        capacity = newCapacity
        for r in old..<newCapacity { setOffset(.nan, UInt32(r)) }
    }

    /// Copies rows `first ..< first + count` in from a stored block of `stride` rows:
    /// `stride * dimension` code bytes, then `stride` offsets.
    func load(first: Int, count: Int, from bytes: UnsafeRawPointer, stride: Int) {
        reserve(first + count)
        for i in 0..<count {
            let row = UInt32(first + i)
            UnsafeMutableRawPointer(codes(row)).copyMemory(from: bytes + i * dimension, byteCount: dimension)
            setOffset(Float(bitPattern: UInt32(littleEndian: (bytes + stride * dimension + i * 4).loadUnaligned(as: UInt32.self))), row)
        }
    }

    /// Writes rows `first ..< first + count` in the stored block layout of `stride` rows (the
    /// inverse of `load`); `out` holds `stride * (dimension + 4)` bytes.
    func store(first: Int, count: Int, into out: UnsafeMutableRawPointer, stride: Int) {
        for i in 0..<count {
            let row = UInt32(first + i)
            (out + i * dimension).copyMemory(from: codes(row), byteCount: dimension)
            (out + stride * dimension + i * 4).storeBytes(of: offset(row).bitPattern.littleEndian, as: UInt32.self)
        }
    }

    var memoryBytes: Int { capacity * rowBytes }
}

/// A query folded into an `HNSWCodes` frame for a walk: the float weights of
/// `ScalarQuantizer.prepare` (`w_j = q_j step_j`) rounded to int8 at scale `s = 127 / max|w_j|`,
/// so a row scores `sum_j w8_j code_j / s + constant - offset` with one exact integer kernel
/// (`Kernels.u8s8DotGather`). The rounding moves a score by at most `sum_j 255 / (2 s)`; the
/// walk only ranks neighbours with it, and its final candidates are re-scored in float32.
struct CodeQuery {
    /// Not retained: a walk copies its scorer (and so this) per expanded node, and a counted
    /// reference would make every search thread write the one shared count of the index's
    /// codes. The retriever that makes a `CodeQuery` holds the index, which holds the codes.
    unowned(unsafe) let codes: HNSWCodes
    let weights: UnsafePointer<Int8>
    let inverseScale: Float
    let constant: Float

    /// `floatWeights` (`dimension` floats) and `weights` (`dimension` bytes) are caller-owned
    /// scratch: nothing is allocated per query.
    init(_ query: UnsafePointer<Float>, codes: HNSWCodes, floatWeights: UnsafeMutablePointer<Float>,
         weights: UnsafeMutablePointer<Int8>) {
        self.codes = codes
        let d = codes.dimension
        constant = codes.quantizer.prepare(query, metric: codes.metric == .l2 ? .l2 : .innerProduct, weights: floatWeights)
        var largest: Float = 0
        for j in 0..<d { largest = max(largest, abs(floatWeights[j])) }
        let scale: Float = largest > 0 && largest.isFinite ? 127 / largest : 1
        for j in 0..<d { weights[j] = Int8(clamping: Int((floatWeights[j] * scale).rounded())) }
        inverseScale = 1 / scale
        self.weights = UnsafePointer(weights)
    }

    @inline(__always)
    func score(_ row: UInt32) -> Float {
        let d = codes.dimension
        let at = codes.rows + Int(row) * codes.rowBytes
        let sum = Kernels.u8s8Dot(weights, at, count: d)
        return Float(sum) * inverseScale + constant - UnsafeRawPointer(at + d).loadUnaligned(as: Float.self)
    }

    /// The codes' fields are read once, outside the loop: a call on the class per row (as
    /// `codes.offset(row)` was) retained and released it per row, a write to its shared count
    /// that every search thread made for each of the thousands of rows a 500-candidate walk scores.
    @inline(__always)
    func score(rows ids: UnsafePointer<UInt32>, count: Int, into out: UnsafeMutablePointer<Float>) {
        let d = codes.dimension, base = codes.rows, stride = codes.rowBytes
        out.withMemoryRebound(to: Int32.self, capacity: count) { sums in
            Kernels.u8s8DotGather(weights, base: base, stride: stride, ids: ids, count: count, dimension: d, into: sums)
        }
        let raw = UnsafeMutableRawPointer(out)
        for i in 0..<count {
            let sum = raw.load(fromByteOffset: i * 4, as: Int32.self)
            let offset = UnsafeRawPointer(base + Int(ids[i]) * stride + d).loadUnaligned(as: Float.self)
            raw.storeBytes(of: Float(sum) * inverseScale + constant - offset, toByteOffset: i * 4, as: Float.self)
        }
    }
}
