import Store

/// One named feature value of a row.
public struct FeatureField: Equatable, Sendable {
    public var name: String
    public var value: FeatureValue

    public init(name: String, value: FeatureValue) {
        self.name = name
        self.value = value
    }
}

/// The features of one id as read from a file. Missing values (JSON null, empty cells) are
/// left out; fields keep the file's order.
public struct FeatureRecord: Equatable, Sendable {
    public var id: ExternalID
    public var values: [FeatureField]
    public var location: SourceLocation

    public init(id: ExternalID, values: [FeatureField], location: SourceLocation) {
        self.id = id
        self.values = values
        self.location = location
    }

    /// The value of the feature called `name`, if present.
    public subscript(name: String) -> FeatureValue? {
        values.first { $0.name == name }?.value
    }
}
