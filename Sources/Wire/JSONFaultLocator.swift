import Foundation
import SwiftProtobuf

/// Names the member of a JSON message that protobuf's JSON decoder refused (its errors name
/// none): each member is decoded alone inside the path that leads to it, and the search goes
/// into the first member that fails on its own, down to the deepest one. Only on the error path,
/// and bounded (message size, decode attempts), so a hostile message costs little.
enum JSONFaultLocator {
    static let maximumBytes = 64 << 10
    static let maximumAttempts = 256

    /// The dotted path (`recommend.session.time`, `upsert.items[2].vector`) of the member that
    /// makes `bytes` fail to decode as `M`, or nil when it cannot be told.
    static func locate<M: SwiftProtobuf.Message>(_ type: M.Type, _ bytes: UnsafeRawBufferPointer) -> String? {
        guard bytes.count <= maximumBytes,
              let root = try? JSONSerialization.jsonObject(with: Data(bytes[WireEncoding.jsonBodyStart(bytes)...]), options: [.fragmentsAllowed]) as? [String: Any]
        else { return nil }
        var attempts = 0
        // Decodes the value of `path` built from `leaf` (the candidate member, alone).
        func fails(_ path: [PathStep], _ leaf: Any) -> Bool {
            attempts += 1
            var value = leaf
            for step in path.reversed() {
                switch step {
                case .key(let k): value = [k: value]
                case .index: value = [value]
                }
            }
            guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]) else { return true }
            var options = JSONDecodingOptions()
            options.messageDepthLimit = WireCodec.depthLimit
            return (try? M(jsonUTF8Bytes: [UInt8](data), options: options)) == nil
        }
        func search(_ path: [PathStep], _ value: Any) -> [PathStep]? {
            if let object = value as? [String: Any] {
                for key in object.keys.sorted() where attempts < maximumAttempts {
                    let child = object[key]!
                    if fails(path + [.key(key)], child) { return search(path + [.key(key)], child) ?? path + [.key(key)] }
                }
            } else if let array = value as? [Any] {
                for (i, element) in array.enumerated() where attempts < maximumAttempts {
                    if fails(path + [.index(i)], element) { return search(path + [.index(i)], element) ?? path + [.index(i)] }
                }
            }
            return nil
        }
        guard let path = search([], root), !path.isEmpty else { return nil }
        var text = ""
        for step in path {
            switch step {
            case .key(let k): text += text.isEmpty ? k : ".\(k)"
            case .index(let i): text += "[\(i)]"
            }
        }
        return text
    }

    enum PathStep {
        case key(String)
        case index(Int)
    }
}
