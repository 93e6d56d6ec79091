/// The two kinds of rows a store holds. Codes are frozen: they are part of stored keys.
public enum Entity: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case item = 1
    case user = 2

    public var description: String { self == .item ? "item" : "user" }
}
