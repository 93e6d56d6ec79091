import CKernels

/// Distance kernels that use the CPU's vector units, chosen once at run time.
///
/// The C target `CKernels` compiles each kernel three times (AVX-512, AVX2 + FMA, plain C) with
/// per-function target attributes and picks one set at first use from what the CPU reports.
/// The environment variable `ANN_KERNELS=generic|avx2|avx512`, read at that first use (and again
/// by `setLevel(nil)`), caps the level (useful to compare levels or to rule out a kernel bug); a
/// level the CPU lacks falls back to the best one it has, an unknown name is ignored. `level`
/// says what is in use.
///
/// Pointers need no alignment; counts are elements. Results match a sequential loop up to float
/// rounding (the kernels keep several accumulators). Gather forms score one query against the
/// rows `base + ids[i] * stride` and prefetch the rows a few places ahead: one call per visited
/// node's neighbour list.
public enum Kernels {
    /// An instruction-set level of the kernels.
    public enum Level: String, CaseIterable, Comparable, Sendable, CustomStringConvertible {
        case generic, avx2, avx512

        /// The C library's number for this level.
        @usableFromInline
        var code: Int32 {
            switch self {
            case .generic: return Int32(CK_LEVEL_GENERIC)
            case .avx2: return Int32(CK_LEVEL_AVX2)
            case .avx512: return Int32(CK_LEVEL_AVX512)
            }
        }

        init(code: Int32) {
            switch code {
            case Int32(CK_LEVEL_AVX512): self = .avx512
            case Int32(CK_LEVEL_AVX2): self = .avx2
            default: self = .generic
            }
        }

        public var description: String { rawValue }

        public static func < (a: Level, b: Level) -> Bool { a.code < b.code }
    }

    /// The level in use ("avx512", "avx2" or "generic" as `rawValue`).
    public static var level: Level { Level(code: ck_level()) }

    /// Every level this CPU can run, lowest first (always starts with `.generic`).
    public static var supportedLevels: [Level] {
        let best = ck_max_level()
        return Level.allCases.filter { $0.code <= best }
    }

    /// Whether the AVX-512 level's `i8Dot` uses VNNI (`vpdpbusd`); without it the AVX-512 level
    /// runs the AVX2 int8 kernel.
    public static var usesVNNI: Bool { ck_has_vnni() != 0 }

    /// Forces `level` for tests and benchmarks (`nil` returns to the default: the CPU's best,
    /// capped by `ANN_KERNELS`). Returns false, changing nothing, when the CPU lacks `level`.
    /// Process-wide: do not call while other threads run kernels.
    @discardableResult
    public static func setLevel(_ level: Level?) -> Bool {
        guard let level else {
            ck_set_level(-1)
            return true
        }
        return ck_set_level(level.code) == level.code
    }

    // MARK: float32

    /// Inner product of `a` and `b` (`count` floats each).
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        precondition(count >= 0, "Kernels.dot: negative count \(count)")
        return ck_dot_f32(a, b, count)
    }

    /// Squared Euclidean distance between `a` and `b` (`count` floats each).
    @inlinable
    public static func squaredL2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        precondition(count >= 0, "Kernels.squaredL2: negative count \(count)")
        return ck_l2sq_f32(a, b, count)
    }

    /// `out[i] = dot(query, base + ids[i] * stride)` for `i < count`, rows of `dimension` floats;
    /// `stride` is in floats.
    @inlinable
    public static func dotGather(_ query: UnsafePointer<Float>, base: UnsafePointer<Float>, stride: Int,
                                 ids: UnsafePointer<UInt32>, count: Int, dimension: Int,
                                 into out: UnsafeMutablePointer<Float>) {
        precondition(count >= 0 && dimension >= 0 && stride >= 0,
                     "Kernels.dotGather: negative count \(count), dimension \(dimension) or stride \(stride)")
        ck_dot_f32_gather(query, base, stride, ids, count, dimension, out)
    }

    /// `out[i] = squaredL2(query, base + ids[i] * stride)` (see `dotGather`).
    @inlinable
    public static func squaredL2Gather(_ query: UnsafePointer<Float>, base: UnsafePointer<Float>, stride: Int,
                                       ids: UnsafePointer<UInt32>, count: Int, dimension: Int,
                                       into out: UnsafeMutablePointer<Float>) {
        precondition(count >= 0 && dimension >= 0 && stride >= 0,
                     "Kernels.squaredL2Gather: negative count \(count), dimension \(dimension) or stride \(stride)")
        ck_l2sq_f32_gather(query, base, stride, ids, count, dimension, out)
    }

    /// `out[i] = dot(query, rows[i])` for `i < count`; every row pointer must be non-nil.
    @inlinable
    public static func dotRows(_ query: UnsafePointer<Float>, rows: UnsafePointer<UnsafePointer<Float>?>,
                               count: Int, dimension: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count >= 0 && dimension >= 0,
                     "Kernels.dotRows: negative count \(count) or dimension \(dimension)")
        ck_dot_f32_rows(query, rows, count, dimension, out)
    }

    /// `out[i] = squaredL2(query, rows[i])` for `i < count`; every row pointer must be non-nil.
    @inlinable
    public static func squaredL2Rows(_ query: UnsafePointer<Float>, rows: UnsafePointer<UnsafePointer<Float>?>,
                                     count: Int, dimension: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count >= 0 && dimension >= 0,
                     "Kernels.squaredL2Rows: negative count \(count) or dimension \(dimension)")
        ck_l2sq_f32_rows(query, rows, count, dimension, out)
    }
}

// MARK: contiguous rows (IVF list scans)

extension Kernels {
    /// `out[i] = dot(query, rows + i * dimension)` for `i < count`: rows stored back to back
    /// (a posting list), prefetched ahead. A row's score is bit-identical to what
    /// `dotBlock` gives for the same query and row (both reduce each row the same way).
    @inlinable
    public static func dotContiguous(_ query: UnsafePointer<Float>, rows: UnsafePointer<Float>, count: Int,
                                     dimension: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count >= 0 && dimension >= 0,
                     "Kernels.dotContiguous: negative count \(count) or dimension \(dimension)")
        ck_dot_f32_ny(query, rows, count, dimension, out)
    }

    /// `out[i] = squaredL2(query, rows + i * dimension)` for `i < count` (see `dotContiguous`).
    @inlinable
    public static func squaredL2Contiguous(_ query: UnsafePointer<Float>, rows: UnsafePointer<Float>, count: Int,
                                           dimension: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(count >= 0 && dimension >= 0,
                     "Kernels.squaredL2Contiguous: negative count \(count) or dimension \(dimension)")
        ck_l2sq_f32_ny(query, rows, count, dimension, out)
    }

    /// `out[j * rowCount + i] = dot(queries + j * dimension, rows + i * dimension)`: a block of
    /// queries against contiguous rows, each block of rows read from memory once for all the
    /// queries. Scores are bit-identical to `dotContiguous` query by query.
    @inlinable
    public static func dotBlock(queries: UnsafePointer<Float>, queryCount: Int, rows: UnsafePointer<Float>,
                                rowCount: Int, dimension: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(queryCount >= 0 && rowCount >= 0 && dimension >= 0,
                     "Kernels.dotBlock: negative queryCount \(queryCount), rowCount \(rowCount) or dimension \(dimension)")
        ck_dot_f32_block(queries, queryCount, rows, rowCount, dimension, out)
    }

    /// `out[j * rowCount + i] = squaredL2(queries + j * dimension, rows + i * dimension)` (see
    /// `dotBlock`); bit-identical to `squaredL2Contiguous` query by query.
    @inlinable
    public static func squaredL2Block(queries: UnsafePointer<Float>, queryCount: Int, rows: UnsafePointer<Float>,
                                      rowCount: Int, dimension: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(queryCount >= 0 && rowCount >= 0 && dimension >= 0,
                     "Kernels.squaredL2Block: negative queryCount \(queryCount), rowCount \(rowCount) or dimension \(dimension)")
        ck_l2sq_f32_block(queries, queryCount, rows, rowCount, dimension, out)
    }
}
