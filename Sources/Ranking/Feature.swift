/// The features the ranking stage computes without configuration. Names are what model files
/// use; docs/RANKING.md gives each formula.
public enum BuiltinFeature: String, CaseIterable, Sendable {
    case itemPopularity = "item.popularity"
    case itemAge = "item.age"
    case itemNewness = "item.newness"
    case itemCategoryCount = "item.category_count"
    case userHistoryLength = "user.history_length"
    case userRecency = "user.recency"
    case userCategoryEntropy = "user.category_entropy"
    case userNewItemTaste = "user.new_item_taste"
    case contextHourSin = "context.hour_sin"
    case contextHourCos = "context.hour_cos"
    case contextWeekend = "context.weekend"
    case embeddingScore = "cross.embedding_score"
    case categoryAffinity = "cross.category_affinity"
    case popularityXActivity = "cross.popularity_x_activity"
    case newnessXTaste = "cross.newness_x_taste"
    case historyMaxSimilarity = "cross.history_max_similarity"
    case historyMeanSimilarity = "cross.history_mean_similarity"
    case hourMatch = "cross.hour_match"
}

/// One computable feature of a (user, item, context) triple.
public enum Feature: Equatable, Sendable {
    case builtin(BuiltinFeature)
    /// `item.<column>`: slot in `ItemCatalog.numericColumns`.
    case itemNumeric(slot: Int)
    /// `user.<column>`: a numeric user column, by column number.
    case userNumeric(column: UInt16)
    /// `item.<column>=<label>`: 1 when the item carries the label, else 0.
    case itemLabel(column: String, code: UInt32)
    /// `user.<column>=<label>`: 1 when the user's value is (or includes) the label, else 0.
    case userLabel(column: UInt16, code: UInt32)
    /// `context.<key>=<value>`: 1 when the request's context sets `key` to `value`, else 0.
    case contextValue(key: String, value: String)

    /// Why a feature name does not resolve.
    public struct Unknown: Error, Equatable {
        public let reason: String
    }

    static let grammar = "expected a built-in feature (\(BuiltinFeature.allCases.map(\.rawValue).joined(separator: ", "))), "
        + "item.<numeric column>, user.<numeric column>, item.<categorical column>=<label>, "
        + "user.<categorical column>=<label> or context.<key>=<value>"

    /// Resolves a feature name against a catalogue's columns.
    public static func parse(_ name: String, catalog: ItemCatalog) -> Result<Feature, Unknown> {
        if let builtin = BuiltinFeature(rawValue: name) { return .success(.builtin(builtin)) }
        guard let dot = name.firstIndex(of: ".") else { return .failure(Unknown(reason: grammar)) }
        let scope = name[..<dot]
        let rest = name[name.index(after: dot)...]
        if let equals = rest.firstIndex(of: "=") {
            let key = String(rest[..<equals]), value = String(rest[rest.index(after: equals)...])
            guard !key.isEmpty, !value.isEmpty else { return .failure(Unknown(reason: grammar)) }
            switch scope {
            case "item":
                guard let index = catalog.labelIndexes[key] else {
                    return .failure(Unknown(reason: "the store has no categorical item column '\(key)'"))
                }
                guard let code = index.code(of: value) else {
                    return .failure(Unknown(reason: "item column '\(key)' never had the label '\(value)'"))
                }
                return .success(.itemLabel(column: key, code: code))
            case "user":
                guard let column = catalog.userColumns.first(where: { $0.name == key }),
                      let labels = catalog.userLabels[key] else {
                    return .failure(Unknown(reason: "the store has no categorical user column '\(key)'"))
                }
                guard let code = labels[value] else {
                    return .failure(Unknown(reason: "user column '\(key)' never had the label '\(value)'"))
                }
                return .success(.userLabel(column: column.number, code: code))
            case "context":
                return .success(.contextValue(key: key, value: value))
            default:
                return .failure(Unknown(reason: grammar))
            }
        }
        let column = String(rest)
        switch scope {
        case "item":
            if column == catalog.popularityColumn { return .success(.builtin(.itemPopularity)) }
            guard let slot = catalog.numericColumns.firstIndex(where: { $0.column.name == column }) else {
                return .failure(Unknown(reason: "the store has no numeric item column '\(column)' and it is not a built-in feature"))
            }
            return .success(.itemNumeric(slot: slot))
        case "user":
            guard let c = catalog.userColumns.first(where: { $0.name == column && $0.kind == .numeric }) else {
                return .failure(Unknown(reason: "the store has no numeric user column '\(column)' and it is not a built-in feature"))
            }
            return .success(.userNumeric(column: c.number))
        default:
            return .failure(Unknown(reason: grammar))
        }
    }
}
