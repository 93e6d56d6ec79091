import VectorMath

/// One-byte codes of a float32 posting list's residuals (`x - c`, c the list's centroid) in
/// `BlockedCodes`' 16-row layout, held beside the list's resident copy. A probe scores every
/// row from its codes (a quarter of the bytes of the float32 rows, integer work) with a bound
/// on how far a code score can be from the float32 score, and scores in float32 only the rows
/// that the bound cannot keep out of the top-k: the answer is exactly the float32 scan's, at a
/// fraction of its memory traffic once the top-k has filled.
///
/// Bound for a query `q` and a row `x = c + r`, `r^` the decoded residual: `|q . r - q . r^|`
/// is at most `|q| * maxErrorNorm` (every row), and at most `sum_j |q_j| step_j * halfStep` when no
/// component of the list was clipped to the quantizer's range (`clipped` false).
struct IVFListScreen {
    /// `BlockedCodes.byteCount(rows: count, dimension:)` bytes of codes.
    let blocks: UnsafePointer<UInt8>
    /// Largest `|r - r^|` over the list's rows.
    let maxErrorNorm: Float
    /// Whether some component of some row lay outside the quantizer's range.
    let clipped: Bool
    /// Largest `|x|^2` over the list's rows (bounds the float rounding of the code scores).
    let maxSquaredNorm: Float

    /// Half a code step, widened for float rounding: the bound per component of unclipped rows.
    static let halfStep: Float = 0.5005

    static func byteCount(count: Int, dimension: Int) -> Int { BlockedCodes.byteCount(rows: count, dimension: dimension) }

    /// Encodes the rows of `posting` (float32) into `blocks` (zeroed, `byteCount` bytes).
    static func encode(_ posting: IVFPostingList, centroid: UnsafePointer<Float>, quantizer: ScalarQuantizer,
                       into blocks: UnsafeMutablePointer<UInt8>) -> IVFListScreen {
        var maxNorm: Float = 0
        for i in 0..<posting.count { maxNorm = max(maxNorm, posting.norms[i]) }
        let (maxError, clipped) = BlockedCodes.encodeResiduals(posting.floatVector(0), count: posting.count, center: centroid,
                                                               quantizer: quantizer, halfStep: halfStep, into: blocks)
        return IVFListScreen(blocks: blocks, maxErrorNorm: maxError * 1.0001, clipped: clipped, maxSquaredNorm: maxNorm)
    }

    /// A quantizer over the per-dimension ranges of the residuals of every row of `postings`
    /// (float32), nil when there are none or a residual is not finite.
    static func trainQuantizer(_ postings: [IVFPostingList?], centroids: UnsafePointer<Float>, dimension d: Int) -> ScalarQuantizer? {
        var low = [Float](repeating: .infinity, count: d), high = [Float](repeating: -.infinity, count: d)
        for (l, posting) in postings.enumerated() {
            guard let posting else { continue }
            BlockedCodes.widenResidualRange(posting.floatVector(0), count: posting.count, dimension: d,
                                            center: centroids + l * d, lower: &low, upper: &high)
        }
        for j in 0..<d where !(low[j].isFinite && high[j].isFinite && low[j] <= high[j]) { return nil }
        return ScalarQuantizer(lower: low, upper: high)
    }
}

/// Screen codes of one list rewritten by an online write, in memory of their own.
final class IVFScreenBlock: @unchecked Sendable {
    private let allocation: UnsafeMutablePointer<UInt8>
    let screen: IVFListScreen

    init(_ posting: IVFPostingList, centroid: UnsafePointer<Float>, quantizer: ScalarQuantizer) {
        let bytes = max(64, IVFListScreen.byteCount(count: posting.count, dimension: posting.dimension))
        allocation = .allocate(capacity: bytes)
        allocation.initialize(repeating: 0, count: bytes)
        screen = IVFListScreen.encode(posting, centroid: centroid, quantizer: quantizer, into: allocation)
    }

    deinit { allocation.deallocate() }
}
