import Foundation
import Store
import TestSupport

/// Number and id formatting shared by the commands.
enum Format {
    static func seconds(_ s: Double) -> String {
        s < 1 ? String(format: "%.1f ms", s * 1000) : String(format: "%.2f s", s)
    }

    static func milliseconds(_ s: Double) -> String { String(format: "%.3f ms", s * 1000) }

    static func rate(_ r: Double) -> String {
        r >= 1_000_000 ? String(format: "%.2fM", r / 1_000_000) : r >= 1000 ? String(format: "%.1fk", r / 1000) : String(format: "%.0f", r)
    }

    static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var x = Double(n), u = 0
        while x >= 1024 && u < units.count - 1 { x /= 1024; u += 1 }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", x, units[u])
    }

    /// `text` padded with spaces to `width` characters (left-aligned).
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// A feature value for people: labels as they are, numbers short, timestamps as dates.
    static func feature(_ value: FeatureValue) -> String {
        switch value {
        case .categorical(let label): return label
        case .multiCategorical(let labels): return labels.joined(separator: "|")
        case .numeric(let x): return String(format: "%.4g", x)
        case .timestamp(let t):
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withFullDate]
            return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
        }
    }

    /// An id as JSON: numbers bare, strings quoted and escaped.
    static func json(_ id: ExternalID) -> String {
        switch id {
        case .number(let n): return String(n)
        case .string(let s): return jsonString(s)
        }
    }

    static func jsonString(_ s: String) -> String { JSONText.quoted(s) }

    /// A float as JSON (finite by construction; shortest round-trip text).
    static func json(_ x: Float) -> String { x.isFinite ? "\(x)" : "null" }
}
