/// How a posting list holds its vectors.
public enum IVFEncoding: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// The vectors as stored.
    case float32 = 1
    /// The residual to the list's centroid, one signed byte per component:
    /// `r[j] ~ offset[j] + scale[j] * code[j]` (scales trained per dimension).
    case int8 = 2

    public var description: String { self == .float32 ? "float32" : "int8" }

    /// Bytes per vector component.
    public var componentBytes: Int { self == .float32 ? 4 : 1 }
}
