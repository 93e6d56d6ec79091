/// Everything that can go wrong in TestSupport: a bad generator parameter or a file write.
public enum TestSupportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A spec field out of range, e.g. `invalidParameter(name: "dimension", value: "0", expected: "> 0")`.
    case invalidParameter(name: String, value: String, expected: String)
    /// A row of the wrong width was appended to a vector file.
    case dimensionMismatch(file: String, expected: Int, got: Int)
    /// A vector file was finished with more or fewer rows than its header announced.
    case rowCountMismatch(file: String, expected: Int, got: Int)
    /// The operating system refused to create or write a file.
    case writeFailed(file: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidParameter(name, value, expected):
            return "invalid parameter \(name) = \(value); expected \(expected)"
        case let .dimensionMismatch(file, expected, got):
            return "\(file): row has \(got) values; expected \(expected)"
        case let .rowCountMismatch(file, expected, got):
            return "\(file): \(got) rows written; the header announces \(expected)"
        case let .writeFailed(file, reason):
            return "\(file): write failed: \(reason)"
        }
    }

    static func check(_ ok: Bool, _ name: String, _ value: some CustomStringConvertible, _ expected: String) throws {
        if !ok { throw TestSupportError.invalidParameter(name: name, value: value.description, expected: expected) }
    }
}
