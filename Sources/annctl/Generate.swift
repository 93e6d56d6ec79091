import ArgumentParser
import Foundation
import TestSupport
import VectorMath

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write generated, seeded datasets (the demo catalogue, benchmark embeddings).",
        subcommands: [Demo.self, Clustered.self])

    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A recommender demo catalogue as a trainer would export it.",
            discussion: "Writes items.npy, item_ids.txt, users.npy, user_ids.txt, item_features.jsonl, user_features.jsonl, histories.tsv (train) and test_interactions.tsv (test).")

        @Option(help: "Output directory.") var out: String
        @Option(help: "Items.") var items = 100_000
        @Option(help: "Users.") var users = 10_000
        @Option(name: .customLong("dim"), help: "Embedding dimension.") var dimension = 64
        @Option(help: "Item categories.") var categories = 50
        @Option(help: "Seed: the same seed writes the same files.") var seed: UInt64 = 42

        func run() throws {
            let clock = Date()
            let spec = DemoCatalogSpec(items: items, users: users, dimension: dimension, categories: categories, seed: seed)
            let catalog = try DemoCatalog(spec: spec)
            try catalog.write(to: URL(fileURLWithPath: out))
            print("demo catalogue: \(items) items, \(users) users, \(dimension)-d, \(categories) categories -> \(out) in \(Format.seconds(Date().timeIntervalSince(clock)))")
        }
    }

    struct Clustered: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clustered embeddings like a recommender's item table (Zipf cluster sizes, varied norms).")

        @Option(help: "Output vectors file (.npy or .fvecs).") var out: String
        @Option(help: "Rows.") var count: Int
        @Option(name: .customLong("dim"), help: "Dimension.") var dimension = 128
        @Option(help: "Seed.") var seed: UInt64 = 1
        @Option(help: "Also write this many queries from the same mixture...") var queryCount = 0
        @Option(help: "...to this file (.npy or .fvecs).") var queries: String?

        func validate() throws {
            guard out.hasSuffix(".npy") || out.hasSuffix(".fvecs") else { throw ValidationError("--out must end in .npy or .fvecs") }
            if queryCount > 0 && queries == nil { throw ValidationError("--query-count needs --queries FILE") }
        }

        func run() throws {
            let clock = Date()
            let generator = try ClusteredEmbeddings(spec: ClusteredSpec(count: count, dimension: dimension, seed: seed))
            try write(to: out, rows: count) { sink in
                try generator.forEachChunk { _, values in try sink(values) }
            }
            if let queries, queryCount > 0 {
                let q = generator.queries(count: queryCount, seed: seed &+ 1_000_003)
                try write(to: queries, rows: queryCount) { sink in try q.withUnsafeBufferPointer { try sink($0) } }
            }
            print("\(count) x \(dimension) clustered vectors -> \(out) in \(Format.seconds(Date().timeIntervalSince(clock)))")
        }

        private func write(to path: String, rows: Int,
                           _ produce: ((UnsafeBufferPointer<Float>) throws -> Void) throws -> Void) throws {
            let url = URL(fileURLWithPath: path)
            if path.hasSuffix(".npy") {
                let writer = try NpyWriter(url: url, rows: rows, columns: dimension)
                try produce { try writer.append(rows: $0) }
                try writer.finish()
            } else {
                let writer = try FvecsWriter(url: url, dimension: dimension)
                try produce { try writer.append(rows: $0) }
                try writer.finish()
            }
        }
    }
}
