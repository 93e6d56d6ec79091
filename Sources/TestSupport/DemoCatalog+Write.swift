import Foundation
import Store

/// Trainer-style export of the catalogue, the input of `annctl import`.
extension DemoCatalog {
    /// The files `write(to:)` creates.
    public static let fileNames = [
        "items.npy", "item_ids.txt", "users.npy", "user_ids.txt", "item_features.jsonl",
        "user_features.jsonl", "histories.tsv", "test_interactions.tsv",
    ]

    /// Writes into `directory` (created if missing):
    /// - `items.npy`, `users.npy`: float32 `'<f4'` C-order matrices, one row per id;
    /// - `item_ids.txt`, `user_ids.txt`: one id per line, in row order;
    /// - `item_features.jsonl`: `{"id":1000000,"features":{"category":"c12","categories":["c12","c3"],
    ///   "popularity":0.83,"released":"2025-03-01T12:00:00Z","price":19.99}}`;
    /// - `user_features.jsonl`: `{"id":"u3","features":{"activity":0.4,"segment":"s2"}}`;
    /// - `histories.tsv` (train) and `test_interactions.tsv` (test): `user<TAB>item<TAB>unix seconds`, no header.
    public func write(to directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw TestSupportError.writeFailed(file: directory.path, reason: "\(error)")
        }
        let d = spec.dimension
        try writeMatrix(itemVectors, rows: spec.items, columns: d, to: directory.appendingPathComponent("items.npy"))
        try writeMatrix(userVectors, rows: spec.users, columns: d, to: directory.appendingPathComponent("users.npy"))
        try writeLines(to: directory.appendingPathComponent("item_ids.txt"), count: spec.items) { Self.itemID($0).description }
        try writeLines(to: directory.appendingPathComponent("user_ids.txt"), count: spec.users) { Self.userID($0).description }
        try writeLines(to: directory.appendingPathComponent("item_features.jsonl"), count: spec.items, itemFeatureLine)
        try writeLines(to: directory.appendingPathComponent("user_features.jsonl"), count: spec.users, userFeatureLine)
        try writeInteractions(train, to: directory.appendingPathComponent("histories.tsv"))
        try writeInteractions(test, to: directory.appendingPathComponent("test_interactions.tsv"))
    }

    /// One line of `item_features.jsonl` (no newline).
    public func itemFeatureLine(_ i: Int) -> String {
        let names = itemCategories[i].map(Self.categoryName)
        let popularity = (itemPopularity[i] * 10_000).rounded() / 10_000
        let price = (itemPrice[i] * 100).rounded() / 100
        return "{\"id\":\(Self.itemID(i)),\"features\":{\"category\":\(JSONText.quoted(names[0]))"
            + ",\"categories\":\(JSONText.array(names)),\"popularity\":\(JSONText.number(popularity))"
            + ",\"released\":\(JSONText.quoted(UTCTimestamp.iso8601(itemReleased[i])))"
            + ",\"price\":\(JSONText.number(price))}}"
    }

    /// One line of `user_features.jsonl` (no newline).
    public func userFeatureLine(_ u: Int) -> String {
        let activity = (userActivity[u] * 1000).rounded() / 1000
        return "{\"id\":\(JSONText.quoted(Self.userID(u).description)),\"features\":{\"activity\":\(JSONText.number(activity))"
            + ",\"segment\":\(JSONText.quoted(Self.segmentName(userSegment[u])))}}"
    }

    private func writeMatrix(_ values: [Float], rows: Int, columns: Int, to url: URL) throws {
        let writer = try NpyWriter(url: url, rows: rows, columns: columns)
        let rowsPerChunk = 4096
        try values.withUnsafeBufferPointer { all in
            var start = 0
            while start < rows {
                let end = min(rows, start + rowsPerChunk)
                try writer.append(rows: UnsafeBufferPointer(rebasing: all[(start * columns)..<(end * columns)]))
                start = end
            }
        }
        try writer.finish()
    }

    private func writeLines(to url: URL, count: Int, _ line: (Int) -> String) throws {
        let file = try BinaryFileWriter(url: url)
        for i in 0..<count { try file.write(line(i) + "\n") }
        try file.close()
    }

    private func writeInteractions(_ interactions: [Interaction], to url: URL) throws {
        let file = try BinaryFileWriter(url: url)
        for e in interactions {
            try file.write("\(Self.userID(Int(e.user)))\t\(Self.itemID(Int(e.item)))\t\(e.timestamp)\n")
        }
        try file.close()
    }
}
