/// Steps of a build, for progress displays.
public enum IVFBuildPhase: String, Sendable, CaseIterable {
    case sampling, training, assigning, writing
}

/// What a build did.
public struct IVFBuildReport: Sendable {
    public var info: IVFIndexInfo
    /// False when the centroids of the previous build were kept (no k-means).
    public var trained: Bool
    public var repairedClusters: Int
    public var balance: IVFBalance
    /// Seconds spent in each phase.
    public var seconds: [IVFBuildPhase: Double]
    public var totalSeconds: Double
}
