/// How two vectors are compared. Every score in this project is "higher is better":
/// inner product and cosine similarity as they are, L2 as the negated squared distance.
/// Outputs for people (CLI, JSON) show L2 as the squared distance (`displayScore`).
public enum Metric: String, Sendable, CaseIterable, Codable {
    case innerProduct = "ip"
    case cosine = "cosine"
    case l2 = "l2"

    /// Stable one-byte code stored on disk. Frozen: changing a number breaks stored data.
    public var code: UInt8 {
        switch self {
        case .innerProduct: return 1
        case .cosine: return 2
        case .l2: return 3
        }
    }

    public init?(code: UInt8) {
        switch code {
        case 1: self = .innerProduct
        case 2: self = .cosine
        case 3: self = .l2
        default: return nil
        }
    }

    /// Converts an internal score (higher is better) to the figure shown to people:
    /// similarity for ip and cosine, squared distance for l2.
    @inlinable
    public func displayScore(_ score: Float) -> Float {
        self == .l2 ? 0 - score : score  // 0 - 0 is +0: an exact match shows 0, not -0
    }
}
