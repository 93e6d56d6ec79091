import Ingest

/// One target of `annctl query`: which `--vector`, `--item` or `--user` value (by its index
/// among that option's values), or the `--queries` file's rows.
enum TargetSlot: Equatable {
    case vector(Int)
    case item(Int)
    case user(Int)
    case queries
}

/// A target's failure, naming the target (`user u3`, `queries.tsv, line 7`).
struct TargetFailure: Error, CustomStringConvertible {
    let target: String
    let error: Error

    var description: String { "\(target): \(error)" }
}

/// The rows of a `--queries` file, read and checked whole before any answer is printed.
struct QueryFile {
    var data: [Float] = []
    var count = 0
    /// Where each row is in the file (line or row), for errors about it.
    var locations: [SourceLocation] = []
}

extension Query {
    /// The targets in command-line order: answers are printed and numbered in it.
    var targetOrder: [TargetSlot] {
        Self.targetOrder(CommandLine.arguments, vectors: vectors.count, items: items.count, users: users.count,
                         queries: queries != nil)
    }

    /// The order of the targets in `arguments`. ArgumentParser keeps the order of one option's
    /// values but not the order between options, so it is read from the arguments themselves
    /// (`--user u3` and `--user=u3` alike; a `--queries` given twice counts where the last
    /// one is, as ArgumentParser keeps that one). Where the arguments do not account for
    /// exactly the parsed values, the order is vectors, items, users, then the file.
    static func targetOrder(_ arguments: [String], vectors: Int, items: Int, users: Int, queries: Bool) -> [TargetSlot] {
        var order: [TargetSlot] = []
        var seen = (vectors: 0, items: 0, users: 0)
        var fileAt: Int?
        for argument in arguments.dropFirst() {
            if argument == "--" { break }
            switch argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" {
            case "--vector": order.append(.vector(seen.vectors)); seen.vectors += 1
            case "--item": order.append(.item(seen.items)); seen.items += 1
            case "--user": order.append(.user(seen.users)); seen.users += 1
            case "--queries": fileAt = order.count
            default: break
            }
        }
        guard seen == (vectors, items, users), (fileAt != nil) == queries else {
            return (0 ..< vectors).map(TargetSlot.vector) + (0 ..< items).map(TargetSlot.item)
                + (0 ..< users).map(TargetSlot.user) + (queries ? [.queries] : [])
        }
        if let fileAt { order.insert(.queries, at: fileAt) }
        return order
    }
}
