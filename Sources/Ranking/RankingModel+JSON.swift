import Foundation
import Store

extension RankingModel {
    /// Reads and checks a model file (format and version, every field; not yet the feature
    /// names, which `Scorer` resolves against a store).
    public static func load(path: String) throws -> RankingModel {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw RankingError.modelUnreadable(path: path, reason: "cannot read the file (\(error.localizedDescription))")
        }
        return try decode(data, path: path)
    }

    /// Parses model JSON; `path` names the source in errors.
    public static func decode(_ data: Data, path: String) throws -> RankingModel {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw RankingError.modelUnreadable(path: path, reason: "not valid JSON")
        }
        guard let top = object as? [String: Any] else {
            throw RankingError.modelUnreadable(path: path, reason: "expected a JSON object at the top level")
        }
        let fields = ModelFields(path: path)
        try fields.onlyKnown(top, ["format", "version", "output", "bias", "features", "crosses", "metadata"], at: "")
        if let format = top["format"] {
            guard let text = format as? String, text == formatName else {
                throw RankingError.modelField(path: path, field: "format", problem: "expected \"\(formatName)\", got \(fields.show(format))")
            }
        }
        guard let versionValue = top["version"] else {
            throw RankingError.modelField(path: path, field: "version", problem: "missing (this build reads version \(formatVersion))")
        }
        guard let version = fields.integer(versionValue) else {
            throw RankingError.modelField(path: path, field: "version", problem: "expected an integer, got \(fields.show(versionValue))")
        }
        guard version == formatVersion else {
            throw RankingError.unsupportedModelVersion(path: path, got: version, supported: formatVersion)
        }
        var output = Output.linear
        if let o = top["output"] {
            guard let text = o as? String, let parsed = Output(rawValue: text) else {
                throw RankingError.modelField(path: path, field: "output", problem: "expected \"linear\", \"logistic\" or \"choice\", got \(fields.show(o))")
            }
            output = parsed
        }
        let bias = try top["bias"].map { try fields.number($0, at: "bias") } ?? 0

        guard let featureValue = top["features"] else {
            throw RankingError.modelField(path: path, field: "features", problem: "missing (a list of {name, mean, scale, weight, default})")
        }
        guard let featureList = featureValue as? [Any] else {
            throw RankingError.modelField(path: path, field: "features", problem: "expected an array, got \(fields.show(featureValue))")
        }
        var terms: [Term] = []
        for (i, entry) in featureList.enumerated() {
            let at = "features[\(i)]"
            let object = try fields.object(entry, at: at)
            try fields.onlyKnown(object, ["name", "mean", "scale", "weight", "default"], at: at)
            terms.append(Term(name: try fields.string(object["name"], at: at + ".name"),
                              mean: try object["mean"].map { try fields.number($0, at: at + ".mean") } ?? 0,
                              scale: try object["scale"].map { try fields.number($0, at: at + ".scale") } ?? 1,
                              weight: try fields.number(object["weight"], at: at + ".weight"),
                              defaultValue: try object["default"].map { try fields.number($0, at: at + ".default") }))
        }
        var crosses: [Cross] = []
        if let crossValue = top["crosses"] {
            guard let crossList = crossValue as? [Any] else {
                throw RankingError.modelField(path: path, field: "crosses", problem: "expected an array, got \(fields.show(crossValue))")
            }
            for (i, entry) in crossList.enumerated() {
                let at = "crosses[\(i)]"
                let object = try fields.object(entry, at: at)
                try fields.onlyKnown(object, ["a", "b", "weight"], at: at)
                crosses.append(Cross(a: try fields.string(object["a"], at: at + ".a"), b: try fields.string(object["b"], at: at + ".b"),
                                     weight: try fields.number(object["weight"], at: at + ".weight")))
            }
        }
        var metadata: [String: String] = [:]
        if let m = top["metadata"] {
            for (key, value) in try fields.object(m, at: "metadata") {
                metadata[key] = (value as? String) ?? fields.show(value)
            }
        }
        let model = RankingModel(output: output, bias: bias, features: terms, crosses: crosses, metadata: metadata)
        try model.validate(path: path)
        return model
    }

    /// The model as JSON text (stable key order, numbers in shortest round-trip form).
    public func jsonText() -> String {
        func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)" }
        var lines = ["{", "  \"format\": \(JSONText.quoted(Self.formatName)),", "  \"version\": \(Self.formatVersion),",
                     "  \"output\": \(JSONText.quoted(output.rawValue)),", "  \"bias\": \(number(bias)),", "  \"features\": ["]
        for (i, t) in features.enumerated() {
            var line = "    {\"name\": \(JSONText.quoted(t.name)), \"mean\": \(number(t.mean)), \"scale\": \(number(t.scale)), \"weight\": \(number(t.weight))"
            if let d = t.defaultValue { line += ", \"default\": \(number(d))" }
            lines.append(line + "}" + (i + 1 < features.count ? "," : ""))
        }
        lines.append("  ],")
        lines.append("  \"crosses\": [")
        for (i, c) in crosses.enumerated() {
            lines.append("    {\"a\": \(JSONText.quoted(c.a)), \"b\": \(JSONText.quoted(c.b)), \"weight\": \(number(c.weight))}"
                         + (i + 1 < crosses.count ? "," : ""))
        }
        lines.append("  ],")
        let notes = metadata.keys.sorted().map { "    \(JSONText.quoted($0)): \(JSONText.quoted(metadata[$0]!))" }
        lines.append(notes.isEmpty ? "  \"metadata\": {}" : "  \"metadata\": {\n" + notes.joined(separator: ",\n") + "\n  }")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `jsonText()` to `path` (replacing it atomically).
    public func write(to path: String) throws {
        do {
            try Data(jsonText().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw RankingError.modelUnreadable(path: path, reason: "cannot write the file (\(error.localizedDescription))")
        }
    }
}

/// Typed access to parsed JSON values, with errors naming the field.
private struct ModelFields {
    let path: String

    func error(_ field: String, _ problem: String) -> RankingError { .modelField(path: path, field: field, problem: problem) }

    func show(_ value: Any) -> String {
        if value is NSNull { return "null" }
        if let s = value as? String { return "\"\(s)\"" }
        if let n = value as? NSNumber { return isBool(n) ? (n.boolValue ? "true" : "false") : n.description }
        if value is [Any] { return "an array" }
        if value is [String: Any] { return "an object" }
        return "\(value)"
    }

    /// JSON `true`/`false` arrive as a boolean NSNumber subclass (`__NSCFBoolean`).
    func isBool(_ n: NSNumber) -> Bool { String(describing: type(of: n)).contains("Boolean") }

    func number(_ value: Any?, at field: String) throws -> Double {
        guard let value else { throw error(field, "missing (expected a number)") }
        guard let n = value as? NSNumber, !isBool(n) else { throw error(field, "expected a number, got \(show(value))") }
        let x = n.doubleValue
        guard x.isFinite else { throw error(field, "expected a finite number, got \(x)") }
        return x
    }

    func integer(_ value: Any) -> Int? {
        guard let n = value as? NSNumber, !isBool(n) else { return nil }
        let x = n.doubleValue
        return x == x.rounded() && abs(x) < 1e9 ? Int(x) : nil
    }

    func string(_ value: Any?, at field: String) throws -> String {
        guard let value else { throw error(field, "missing (expected a string)") }
        guard let s = value as? String else { throw error(field, "expected a string, got \(show(value))") }
        return s
    }

    func object(_ value: Any, at field: String) throws -> [String: Any] {
        guard let o = value as? [String: Any] else { throw error(field, "expected an object, got \(show(value))") }
        return o
    }

    func onlyKnown(_ object: [String: Any], _ known: Set<String>, at field: String) throws {
        for key in object.keys.sorted() where !known.contains(key) {
            let name = field.isEmpty ? key : field + "." + key
            throw error(name, "unknown field (expected one of \(known.sorted().joined(separator: ", ")))")
        }
    }
}
