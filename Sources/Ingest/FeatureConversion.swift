import Store

/// Turns JSON values and text cells into `FeatureValue`s, inferring the kind or coercing to a
/// declared one.
///
/// Inference: JSON number -> numeric; string -> timestamp when ISO 8601, else categorical;
/// array of strings -> multi-categorical; bool -> numeric 0/1; null -> missing. Text cells:
/// empty -> missing; decimal number -> numeric; ISO 8601 -> timestamp; containing `|` ->
/// multi-categorical (split on `|`); else categorical.
/// Declared kinds coerce: numeric from decimal text or a bool; timestamp from epoch seconds
/// (fractions dropped) or ISO 8601 text; categorical from a number's text; multi-categorical
/// from a single string. Anything else is `typeMismatch`.
struct FeatureConversion {
    let file: String
    let location: SourceLocation

    private func mismatch(_ field: String, _ expected: String, _ got: String) -> IngestError {
        IngestError.typeMismatch(file: file, location: location, field: field, expected: expected, got: got)
    }

    private func expectedText(_ kind: FeatureKind) -> String {
        switch kind {
        case .numeric: return "a finite number (numeric)"
        case .timestamp: return "epoch seconds (years 1 to 9999; milliseconds? divide by 1000) or an ISO 8601 date (timestamp)"
        case .categorical: return "a string or number (categorical)"
        case .multiCategorical: return "an array of strings or a string (multi-categorical)"
        }
    }

    /// Epoch seconds from a finite Double, dropping the fraction; nil outside years 1...9999
    /// (`HistoryEntry.validTimes`: epoch milliseconds are refused, not read as seconds).
    private func epochSeconds(_ d: Double) -> Int64? {
        guard d.isFinite, d >= Double(HistoryEntry.validTimes.lowerBound), d < Double(HistoryEntry.validTimes.upperBound) + 1 else { return nil }
        return Int64(d.rounded(.down))
    }

    func value(json: JSONValue, field: String, declared: FeatureKind?) throws -> FeatureValue? {
        switch json {
        case .null:
            return nil
        case .bool(let b):
            switch declared {
            case nil, .numeric?: return .numeric(b ? 1 : 0)
            case .categorical?: return .categorical(b ? "true" : "false")
            case let kind?: throw mismatch(field, expectedText(kind), json.summary)
            }
        case .number(let d, let text):
            switch declared {
            case nil, .numeric?:
                guard d.isFinite else { throw mismatch(field, "a finite number", json.summary) }
                return .numeric(d)
            case .timestamp?:
                guard let t = epochSeconds(d) else { throw mismatch(field, expectedText(.timestamp), json.summary) }
                return .timestamp(t)
            case .categorical?: return .categorical(text)
            case .multiCategorical?: return .multiCategorical([text])
            }
        case .string(let s):
            if s.isEmpty { return nil }
            return try value(text: Substring(s), field: field, declared: declared, splitMulti: false, json: json)
        case .array(let items):
            if let declared, declared != .multiCategorical {
                throw mismatch(field, expectedText(declared), json.summary)
            }
            var labels: [String] = []
            labels.reserveCapacity(items.count)
            for item in items {
                switch item {
                case .string(let s): labels.append(s)
                case .number(_, let text) where declared == .multiCategorical: labels.append(text)
                default: throw mismatch(field, "an array of strings (multi-categorical)", "an array holding \(item.summary)")
                }
            }
            return .multiCategorical(labels)
        case .object:
            throw mismatch(field, declared.map(expectedText) ?? "a number, string, boolean or array of strings", "an object")
        }
    }

    /// True for `0` followed by a digit, after an optional sign (`02134`, `-07`; not `0`, `0.5`).
    static func hasLeadingZero(_ text: Substring) -> Bool {
        var digits = text.utf8[...]
        if let first = digits.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { digits = digits.dropFirst() }
        guard digits.count >= 2, digits.first == UInt8(ascii: "0") else { return false }
        let second = digits[digits.index(after: digits.startIndex)]
        return second >= UInt8(ascii: "0") && second <= UInt8(ascii: "9")
    }

    /// A CSV/TSV cell (or a JSON string when `json` is given; JSON strings are not split on `|`).
    func value(text: Substring, field: String, declared: FeatureKind?, splitMulti: Bool = true,
               json: JSONValue? = nil) throws -> FeatureValue? {
        if text.isEmpty { return nil }
        let got = json?.summary ?? "\(String(text).debugDescription)"
        switch declared {
        case nil:
            // A number with a leading zero (`02134`: a zip code, a code) is a label, as such
            // ids are strings (`007`).
            if json == nil, !Self.hasLeadingZero(text), let d = NumberScanner.parseDecimal(text) { return .numeric(d) }
            if let t = ISO8601.parse(text) { return .timestamp(t) }
            if splitMulti && text.contains("|") { return .multiCategorical(splitLabels(text)) }
            return .categorical(String(text))
        case .numeric?:
            guard let d = NumberScanner.parseDecimal(text) else { throw mismatch(field, expectedText(.numeric), got) }
            return .numeric(d)
        case .timestamp?:
            if let t = ISO8601.parse(text) { return .timestamp(t) }
            if let d = NumberScanner.parseDecimal(text), let t = epochSeconds(d) { return .timestamp(t) }
            throw mismatch(field, expectedText(.timestamp), got)
        case .categorical?:
            return .categorical(String(text))
        case .multiCategorical?:
            return .multiCategorical(splitMulti ? splitLabels(text) : [String(text)])
        }
    }

    private func splitLabels(_ text: Substring) -> [String] {
        text.split(separator: "|", omittingEmptySubsequences: true).map(String.init)
    }
}
