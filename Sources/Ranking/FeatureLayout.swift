/// The ordered list of features a ranker computes: row `i` of a `FeatureMatrix` holds
/// `features[i]` for every candidate. The standard layout is every built-in feature plus the
/// store's numeric columns; a model adds the indicator features it names.
public struct FeatureLayout: Sendable, Equatable {
    public private(set) var features: [Feature] = []
    public private(set) var names: [String] = []
    private var indexByName: [String: Int] = [:]

    public init() {}

    /// Built-in features, then `item.<numeric column>` and `user.<numeric column>` (a column
    /// whose name collides with a built-in feature is left out).
    public static func standard(_ catalog: ItemCatalog) -> FeatureLayout {
        var layout = FeatureLayout()
        for b in BuiltinFeature.allCases { layout.append(.builtin(b), name: b.rawValue) }
        for (slot, c) in catalog.numericColumns.enumerated() { layout.append(.itemNumeric(slot: slot), name: "item." + c.column.name) }
        for c in catalog.numericUserColumns { layout.append(.userNumeric(column: c.number), name: "user." + c.name) }
        return layout
    }

    public var count: Int { features.count }

    public func index(of name: String) -> Int? { indexByName[name] }

    /// The index of `name`, adding the feature when the layout lacks it.
    @discardableResult
    public mutating func add(_ name: String, catalog: ItemCatalog) -> Result<Int, Feature.Unknown> {
        if let i = indexByName[name] { return .success(i) }
        switch Feature.parse(name, catalog: catalog) {
        case .failure(let why): return .failure(why)
        case .success(let feature):
            if let i = features.firstIndex(of: feature) {
                indexByName[name] = i
                return .success(i)
            }
            append(feature, name: name)
            return .success(features.count - 1)
        }
    }

    private mutating func append(_ feature: Feature, name: String) {
        guard indexByName[name] == nil else { return }
        indexByName[name] = features.count
        features.append(feature)
        names.append(name)
    }
}
