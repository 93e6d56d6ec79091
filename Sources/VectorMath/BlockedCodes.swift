import CKernels

/// One-byte codes of many rows, stored for a fast exact scan against one query: blocks of 16
/// rows, each block holding for every group of 4 components the 16 rows' 4 bytes side by side
/// (64 bytes), so that one VNNI instruction scores 16 rows x 4 components (`ck_u8_blocks_scan`).
/// Components past `dimension` (up to a multiple of 4) and rows past `count` (up to a multiple
/// of 16) hold code 0.
///
/// A query is a float weight per component (`w`); `split` turns it into two int8 parts so that
/// `sum_j w_j c_j = scale * (hi . c + lo . c / 254) + e` with `|e| <= error` for every row of
/// codes `c` (exact to about 1/65,000 of the largest weight per component): the scan is then
/// integer work with a bound that a caller can add to its own.
public final class BlockedCodes {
    public let dimension: Int
    /// Groups of 4 components: `ceil(dimension / 4)`.
    public let groups: Int
    /// Rows held.
    public private(set) var count = 0
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacityBlocks = 0

    public init(dimension: Int) {
        precondition(dimension > 0, "BlockedCodes: dimension \(dimension) must be positive")
        self.dimension = dimension
        groups = (dimension + 3) / 4
        storage = .allocate(capacity: 64)
    }

    deinit { storage.deallocate() }

    private var blockBytes: Int { groups * 64 }
    /// Bytes allocated for codes.
    public var memoryBytes: Int { capacityBlocks * blockBytes }

    /// Drops every row (keeps the memory).
    public func removeAll() {
        storage.update(repeating: 0, count: capacityBlocks * blockBytes)
        count = 0
    }

    /// Room for `rows` rows without reallocating.
    public func reserve(_ rows: Int) {
        let blocks = (rows + 15) / 16
        guard blocks > capacityBlocks else { return }
        let newBlocks = max(blocks, capacityBlocks + capacityBlocks / 2)
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: newBlocks * blockBytes)
        fresh.update(from: storage, count: capacityBlocks * blockBytes)
        (fresh + capacityBlocks * blockBytes).initialize(repeating: 0, count: (newBlocks - capacityBlocks) * blockBytes)
        storage.deallocate()
        storage = fresh
        capacityBlocks = newBlocks
    }

    /// Sets the codes of row `row` (`row <= count`; `row == count` appends).
    public func set(_ row: Int, codes: UnsafePointer<UInt8>) {
        precondition(row >= 0 && row <= count, "BlockedCodes.set: row \(row) outside 0...\(count)")
        if row == count {
            reserve(count + 1)
            count += 1
        }
        Self.store(codes, row: row, dimension: dimension, into: storage)
    }

    /// Bytes of the blocks of `rows` rows of `dimension` components.
    public static func byteCount(rows: Int, dimension: Int) -> Int {
        (rows + 15) / 16 * ((dimension + 3) / 4) * 64
    }

    /// Byte offset of row `row`'s first 4 codes (component `j` is at `+ (j / 4) * 64 + j % 4`).
    @inline(__always)
    static func rowOffset(_ row: Int, groups: Int) -> Int { (row / 16) * groups * 64 + (row % 16) * 4 }

    /// Writes the codes of row `row` into blocks at `blocks` (zeroed before, or holding the row).
    public static func store(_ codes: UnsafePointer<UInt8>, row: Int, dimension: Int, into blocks: UnsafeMutablePointer<UInt8>) {
        let base = blocks + rowOffset(row, groups: (dimension + 3) / 4)
        for j in 0..<dimension { base[(j / 4) * 64 + j % 4] = codes[j] }
    }

    /// The codes of row `row`, written to `codes` (`dimension` bytes).
    public func get(_ row: Int, into codes: UnsafeMutablePointer<UInt8>) {
        precondition(row >= 0 && row < count, "BlockedCodes.get: row \(row) outside 0..<\(count)")
        let base = storage + Self.rowOffset(row, groups: groups)
        for j in 0..<dimension { codes[j] = base[(j / 4) * 64 + j % 4] }
    }

    /// Splits `weights` (`dimension` floats) into the int8 parts `hi` and `lo` (`groups * 4`
    /// bytes each, zero past `dimension`). Returns the scale and a bound on the error of
    /// `scale * (hi . c + lo . c / 254)` against `sum_j weights[j] * c[j]`, over all codes `c`
    /// in 0...255 (float rounding of the scan included).
    public func split(_ weights: UnsafePointer<Float>, hi: UnsafeMutablePointer<Int8>, lo: UnsafeMutablePointer<Int8>)
        -> (scale: Float, error: Float) {
        Self.split(weights, dimension: dimension, hi: hi, lo: lo)
    }

    /// `split` for codes of `dimension` components held elsewhere (`hi`, `lo`: the dimension
    /// rounded up to a multiple of 4 bytes each).
    public static func split(_ weights: UnsafePointer<Float>, dimension: Int, hi: UnsafeMutablePointer<Int8>,
                             lo: UnsafeMutablePointer<Int8>) -> (scale: Float, error: Float) {
        let groups = (dimension + 3) / 4
        var largest: Float = 0
        for j in 0..<dimension { largest = max(largest, abs(weights[j])) }
        hi.update(repeating: 0, count: groups * 4)
        lo.update(repeating: 0, count: groups * 4)
        guard largest > 0, largest.isFinite else { return (largest.isFinite ? 1 : .nan, 0) }
        let scale = Double(largest) / 127
        var residual = 0.0
        for j in 0..<dimension {
            let x = Double(weights[j]) / scale
            let h = min(max(x.rounded(), -127), 127)
            let l = min(max(((x - h) * 254).rounded(), -127), 127)
            hi[j] = Int8(h)
            lo[j] = Int8(l)
            residual += abs(x - h - l / 254)
        }
        // Codes are at most 255; the scan's float sum of two int32 products adds a relative
        // rounding of a few 1e-7 of the largest possible total (127 * 255 per component) + 1.
        let rounding = 1e-6 * 127 * 255 * Double(dimension) + 1
        let error = scale * (255 * residual + rounding)
        return (Float(scale), Float(error * 1.001))
    }

    /// Writes to `passing` (room for `count`) the rows whose `hi . c + lo . c / 254` is at least
    /// `minScore`, in row order, and returns how many.
    public func scan(hi: UnsafePointer<Int8>, lo: UnsafePointer<Int8>, minScore: Float,
                     into passing: UnsafeMutablePointer<UInt32>) -> Int {
        Self.scan(storage, rows: count, dimension: dimension, hi: hi, lo: lo, rowTerms: nil, alpha: 0,
                  minScore: minScore, into: passing)
    }

    /// `scan` over blocks held elsewhere (`byteCount(rows:dimension:)` bytes at `blocks`), with
    /// `alpha * rowTerms[i]` added to row i's score when `rowTerms` is given (`rows` floats).
    public static func scan(_ blocks: UnsafePointer<UInt8>, rows: Int, dimension: Int,
                            hi: UnsafePointer<Int8>, lo: UnsafePointer<Int8>,
                            rowTerms: UnsafePointer<Float>?, alpha: Float, minScore: Float,
                            into passing: UnsafeMutablePointer<UInt32>) -> Int {
        ck_u8_blocks_scan(hi, lo, blocks, rows, (dimension + 3) / 4, rowTerms, alpha, minScore, passing)
    }

    /// Writes every row's score (`hi . c + lo . c / 254`, plus `alpha * rowTerms[i]` when given)
    /// to `scores` (room for `count` rounded up to 16) and returns the largest.
    public func scores(hi: UnsafePointer<Int8>, lo: UnsafePointer<Int8>, rowTerms: UnsafePointer<Float>?, alpha: Float,
                       into scores: UnsafeMutablePointer<Float>) -> Float {
        ck_u8_blocks_scores(hi, lo, storage, count, groups, rowTerms, alpha, scores)
    }

    /// Writes to `passing` the `i < n` with `scores[i] >= minScore`, in order, and returns how many.
    public static func atLeast(_ scores: UnsafePointer<Float>, count n: Int, minScore: Float,
                               into passing: UnsafeMutablePointer<UInt32>) -> Int {
        ck_scores_at_least(scores, n, minScore, passing)
    }

    /// Encodes `count` rows (`quantizer.dimension` floats each) minus `center` into blocks at
    /// `blocks` (zeroed, `byteCount(rows: count, dimension:)` bytes) with `quantizer`'s ranges:
    /// `code = clamp(round((r - lower) / step), 0, 255)`. Returns the largest `|r - decoded|`
    /// over the rows and whether some component's error exceeded `step * halfStep` (it lay
    /// outside the range). `ck_encode_residual_blocks`.
    public static func encodeResiduals(_ rows: UnsafePointer<Float>, count: Int, center: UnsafePointer<Float>,
                                       quantizer: ScalarQuantizer, halfStep: Float,
                                       into blocks: UnsafeMutablePointer<UInt8>) -> (maxError: Float, clipped: Bool) {
        var clipped: Int32 = 0
        let worst = quantizer.lower.withUnsafeBufferPointer { lower in
            quantizer.step.withUnsafeBufferPointer { step in
                quantizer.inverseStep.withUnsafeBufferPointer { inverse in
                    ck_encode_residual_blocks(rows, count, quantizer.dimension, center, lower.baseAddress!, step.baseAddress!,
                                              inverse.baseAddress!, halfStep, blocks, &clipped)
                }
            }
        }
        return (worst, clipped != 0)
    }

    /// Widens `lower[j]` / `upper[j]` to cover `rows[i][j] - center[j]` for `count` rows.
    public static func widenResidualRange(_ rows: UnsafePointer<Float>, count: Int, dimension: Int, center: UnsafePointer<Float>,
                                          lower: UnsafeMutablePointer<Float>, upper: UnsafeMutablePointer<Float>) {
        ck_residual_range(rows, count, dimension, center, lower, upper)
    }

    /// Which implementation `scan` runs now: "vnni", "avx2" or "generic" (follows `Kernels.setLevel`).
    public static var implementation: String { Kernels.u8s8Implementation }
}
