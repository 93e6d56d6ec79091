import Ingest
import Store

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

    /// The --vector, --item and --user targets in `order`, parsed (the first bad one throws)
    /// and labelled (`user u3`); `vector`, `item` and `user` make the caller's target of each.
    func labelledTargets<T>(_ order: [TargetSlot], dimension: Int, vector: ([Float]) -> T,
                            item: (ExternalID) -> T, user: (ExternalID) -> T) throws -> [(String, T)] {
        try order.compactMap { slot in
            switch slot {
            case .vector(let i): return ("vector", vector(try parseVector(vectors[i], dimension: dimension)))
            case .item(let i): return ("item \(items[i])", item(try RankingOptions.id(items[i], "--item")))
            case .user(let i): return ("user \(users[i])", user(try RankingOptions.id(users[i], "--user")))
            case .queries: return nil
            }
        }
    }

    /// The answers in command-line order: `singles` (one per target, in `order`'s order) with
    /// the --queries file's answers where that option stands.
    static func inCommandLineOrder<T>(_ order: [TargetSlot], singles: [T], file: [T]) -> [T] {
        var next = singles.makeIterator()
        return order.flatMap { $0 == .queries ? file : [next.next()!] }
    }
}
