import Store

/// One JSON-lines object: `{"id": 12 or "sku-1", "vector": [...], "features": {...}, ...}`.
///
/// Features are the members of "features" (an object) followed by every other member except
/// "id" and "vector", in file order; missing values (null, "") are left out. A feature named
/// twice (in "features" and at the top level, or twice in one object) is an error: which one
/// to keep would be a guess.
struct JSONLRow {
    var id: ExternalID?
    var vectorCount: Int?
    var features: [FeatureField] = []

    /// Parses the line. With `readVector`, "vector" is appended to `vectors`; otherwise it is
    /// skipped. Throws `malformed` with the column for syntax errors.
    static func parse(_ scanner: inout JSONScanner, readVector: Bool, vectors: inout [Float],
                      declaredKinds: [String: FeatureKind]) throws -> JSONLRow {
        let location = SourceLocation.line(scanner.line)
        let conversion = FeatureConversion(file: scanner.file, location: location)
        var row = JSONLRow()
        var seenID = false
        var seenFeatures = false
        /// The features named so far, and whether under "features".
        var named: [String: Bool] = [:]
        let file = scanner.file
        func name(_ key: String, nested: Bool) throws {
            guard let before = named.updateValue(nested, forKey: key) else { return }
            let reason = before == nested
                ? "feature \"\(key)\" appears twice\(nested ? " in \"features\"" : "")"
                : "feature \"\(key)\" is given both in \"features\" and at the top level"
            throw IngestError.malformed(file: file, location: location, reason: reason)
        }
        try scanner.beginObject()
        var first = true
        while let key = try scanner.nextKey(first: &first) {
            switch key {
            case "id":
                if seenID { throw scanner.fail("duplicate key \"id\"") }
                seenID = true
                row.id = try externalID(try scanner.parseValue(), file: scanner.file, location: location)
            case "vector":
                if row.vectorCount != nil { throw scanner.fail("duplicate key \"vector\"") }
                if readVector {
                    row.vectorCount = try scanner.parseFloatArray(into: &vectors)
                } else {
                    _ = try scanner.parseValue()
                    row.vectorCount = 0
                }
            case "features":
                if seenFeatures { throw scanner.fail("duplicate key \"features\"") }
                seenFeatures = true
                let value = try scanner.parseValue()
                guard case .object(let members) = value else {
                    if value == .null { continue }
                    throw IngestError.typeMismatch(file: scanner.file, location: location, field: "features",
                                                   expected: "an object of feature values", got: value.summary)
                }
                for (key, member) in members {
                    try name(key, nested: true)
                    if let v = try conversion.value(json: member, field: key, declared: declaredKinds[key]) {
                        row.features.append(FeatureField(name: key, value: v))
                    }
                }
            default:
                try name(key, nested: false)
                let value = try scanner.parseValue()
                // A vector under another name (`embedding`, `emb`): say so, not that numbers
                // are no labels.
                let declared = declaredKinds[key]
                if readVector, declared == nil, case .array(let items) = value, !items.isEmpty,
                   items.allSatisfy({ if case .number = $0 { return true } else { return false } }) {
                    throw IngestError.malformed(file: scanner.file, location: location,
                                                reason: "member \"\(key)\" holds \(items.count) numbers: the vector must be named \"vector\"")
                }
                if let v = try conversion.value(json: value, field: key, declared: declared) {
                    row.features.append(FeatureField(name: key, value: v))
                }
            }
        }
        try scanner.expectEnd()
        return row
    }

    /// A JSON id: a non-negative integer or a string read by `ExternalID.parse`.
    static func externalID(_ value: JSONValue, file: String, location: SourceLocation) throws -> ExternalID {
        let expected = "a non-negative integer or a string"
        switch value {
        case .string(let s):
            switch ExternalID.parse(s) {
            case .success(let id): return id
            case .failure(let why): throw IngestError.invalidID(file: file, location: location, reason: why)
            }
        case .number(_, let text):
            let body = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
            guard body.utf8.allSatisfy(NumberScanner.isDigit) else {
                throw IngestError.typeMismatch(file: file, location: location, field: "id", expected: expected, got: value.summary)
            }
            switch ExternalID.parse(text) {
            case .success(let id): return id
            case .failure(let why): throw IngestError.invalidID(file: file, location: location, reason: why)
            }
        default:
            throw IngestError.typeMismatch(file: file, location: location, field: "id", expected: expected, got: value.summary)
        }
    }
}
