/// One search result: an internal id and its score (higher is better, see `Metric`).
public struct ScoredID: Equatable, Sendable {
    public var id: UInt32
    public var score: Float

    @inlinable
    public init(id: UInt32, score: Float) {
        self.id = id
        self.score = score
    }

    /// Result order: higher score first, then smaller id. `true` when `self` ranks below `other`.
    @inlinable
    public func ranksBelow(_ other: ScoredID) -> Bool {
        score < other.score || (score == other.score && id > other.id)
    }
}
