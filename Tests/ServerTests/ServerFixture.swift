import Foundation
import Logging
import NNG
import Server
import Store
import TestSupport
import Wire
import XCTest

/// A small generated store (items with categories, users with histories) served on a free
/// loopback port, with the data kept in memory for naive reference answers.
final class ServerFixture {
    static let dimension = 8
    static let categories = ["c0", "c1", "c2", "c3", "c4"]

    let directory: String
    let storePath: String
    let itemCount: Int
    let userCount: Int
    /// `itemCount x dimension`, row-major; row i is item id `itemID(i)`.
    var itemVectors: [Float]
    var userVectors: [Float]
    /// History of user row u: item rows.
    var histories: [[Int]]
    private(set) var server: AnnServer!
    let log = LogCapture()

    static func itemID(_ row: Int) -> UInt64 { UInt64(1000 + row) }
    static func userID(_ row: Int) -> String { "u\(row)" }
    static func category(_ row: Int) -> String { categories[row % categories.count] }

    /// Writes the store (nothing when `empty`) and starts a server on it.
    init(items: Int = 600, users: Int = 40, seed: UInt64 = 7, empty: Bool = false,
         configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        directory = NSTemporaryDirectory() + "server-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        storePath = directory + "/store"
        itemCount = empty ? 0 : items
        userCount = empty ? 0 : users
        var random = SeededRandom(seed: seed)
        let d = Self.dimension
        itemVectors = (0..<itemCount * d).map { _ in Float(random.nextGaussian()) }
        userVectors = (0..<userCount * d).map { _ in Float(random.nextGaussian()) }
        histories = (0..<userCount).map { u in (0..<5).map { j in (u * 7 + j * 13) % max(items, 1) } }
        if empty {
            try FileManager.default.createDirectory(atPath: storePath, withIntermediateDirectories: true)
        } else {
            try Self.writeStore(at: storePath, items: itemVectors, users: userVectors, histories: histories)
        }
        do {
            try start(configure: configure, create: empty)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)  // a refused configuration leaves no files
            throw error
        }
    }

    /// Starts the server again (after `tearDownServerOnly`) with another configuration.
    func restart(configure: (inout ServerConfiguration) -> Void) throws {
        try start(configure: configure, create: false)
    }

    /// Stops the server, keeping the files.
    func tearDownServerOnly() {
        server?.shutdown(timeout: 5)
        server = nil
    }

    /// Writes a store with these vectors (items `itemID(i)`, users `userID(u)`), categories and histories.
    static func writeStore(at path: String, items: [Float], users: [Float], histories: [[Int]]) throws {
        let store = try EmbeddingStore(path: path, create: true)
        try store.write { w in
            try w.initialize(dimension: dimension, metric: .innerProduct)
            let itemIDs = (0..<items.count / dimension).map { ExternalID.number(itemID($0)) }
            try items.withUnsafeBufferPointer { _ = try w.upsertVectors(.item, ids: itemIDs, vectors: $0) }
            for row in 0..<itemIDs.count {
                try w.setFeatures(row: UInt32(row), .item, values: [("category", .categorical(category(row))),
                                                                     ("rank", .numeric(Double(row)))])
            }
            let userIDs = (0..<users.count / dimension).map { ExternalID.string(userID($0)) }
            try users.withUnsafeBufferPointer { _ = try w.upsertVectors(.user, ids: userIDs, vectors: $0) }
            for (u, items) in histories.enumerated() {
                try w.appendHistory(user: UInt32(u), entries: items.map { HistoryEntry(item: UInt32($0), timestamp: Int64($0)) })
            }
        }
    }

    private func start(configure: (inout ServerConfiguration) -> Void, create: Bool) throws {
        var configuration = ServerConfiguration(storePath: storePath)
        configuration.listen = ["tcp://127.0.0.1:0"]
        configuration.workers = 2
        configuration.contexts = 8
        configuration.createStore = create
        configuration.snapshotPollInterval = .milliseconds(100)
        configuration.shutdownLinger = .milliseconds(20)
        let capture = log
        var logger = Logger(label: "server-tests") { _ in CapturingLogHandler(capture) }
        logger.logLevel = .info
        configuration.logger = logger
        configure(&configuration)
        server = try AnnServer(configuration: configuration)
        server.start()
    }

    var url: String { server.boundURLs[0] }

    /// A client with a short timeout (every test is bounded in time).
    func client(timeout: Duration = .seconds(5)) throws -> ServerClient {
        try ServerClient(url: url, timeout: timeout)
    }

    /// Stops the server and removes the files.
    func tearDown() {
        server?.shutdown(timeout: 5)
        server = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: naive references

    func itemVector(_ row: Int) -> [Float] { Array(itemVectors[row * Self.dimension ..< (row + 1) * Self.dimension]) }
    func userVector(_ row: Int) -> [Float] { Array(userVectors[row * Self.dimension ..< (row + 1) * Self.dimension]) }

    /// Exact top-k by inner product (ties by smaller row) among rows `accept` lets through.
    func reference(_ query: [Float], k: Int, accept: (Int) -> Bool = { _ in true }) -> [(row: Int, score: Float)] {
        var scored: [(row: Int, score: Float)] = []
        for row in 0..<itemCount where accept(row) {
            var s: Float = 0
            for j in 0..<Self.dimension { s += query[j] * itemVectors[row * Self.dimension + j] }
            scored.append((row, s))
        }
        scored.sort { $0.score > $1.score || ($0.score == $1.score && $0.row < $1.row) }
        return Array(scored.prefix(k))
    }
}

/// Log lines kept for assertions.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(Logger.Level, String)] = []

    func append(_ level: Logger.Level, _ line: String) {
        lock.lock()
        lines.append((level, line))
        lock.unlock()
    }

    var all: [(Logger.Level, String)] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    func count(containing text: String) -> Int { all.filter { $0.1.contains(text) }.count }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    init(_ capture: LogCapture) { self.capture = capture }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        capture.append(event.level, "\(event.message)")
    }
}

// MARK: request builders and assertions

enum Requests {
    static func search(_ vector: [Float], k: UInt32 = 10, filter: Ann_V1_Filter? = nil) -> Ann_V1_Request {
        var s = Ann_V1_SearchRequest()
        s.vector = vector
        s.k = k
        if let filter { s.filter = filter }
        var r = Ann_V1_Request()
        r.search = s
        return r
    }

    static func recommend(user: String, k: UInt32 = 10, includeSeen: Bool = false) -> Ann_V1_Request {
        var s = Ann_V1_RecommendRequest()
        s.user = .string(user)
        s.k = k
        s.includeSeen = includeSeen
        var r = Ann_V1_Request()
        r.recommend = s
        return r
    }

    static func similar(item: UInt64, k: UInt32 = 10) -> Ann_V1_Request {
        var s = Ann_V1_SimilarRequest()
        s.item = .number(item)
        s.k = k
        var r = Ann_V1_Request()
        r.similar = s
        return r
    }

    static var health: Ann_V1_Request {
        var r = Ann_V1_Request()
        r.health = Ann_V1_HealthRequest()
        return r
    }

    static var stats: Ann_V1_Request {
        var r = Ann_V1_Request()
        r.stats = Ann_V1_StatsRequest()
        return r
    }

    static func upsertItem(_ id: UInt64, vector: [Float], category: String? = nil) -> Ann_V1_Request {
        var record = Ann_V1_Record()
        record.id = .number(id)
        record.vector = vector
        if let category {
            var f = Ann_V1_Feature()
            f.label = category
            record.features["category"] = f
        }
        var u = Ann_V1_UpsertRequest()
        u.items = [record]
        var r = Ann_V1_Request()
        r.upsert = u
        return r
    }

    static func deleteItems(_ ids: [UInt64]) -> Ann_V1_Request {
        var d = Ann_V1_DeleteRequest()
        d.items = ids.map { .number($0) }
        var r = Ann_V1_Request()
        r.delete = d
        return r
    }
}

/// Asserts a successful reply and returns it.
@discardableResult
func assertOK(_ reply: Ann_V1_Reply, file: StaticString = #filePath, line: UInt = #line) -> Ann_V1_Reply {
    XCTAssertFalse(reply.isFailure, "error reply \(reply.error.code.name): \(reply.error.message)", file: file, line: line)
    return reply
}

/// Asserts an error reply with `code`.
func assertError(_ reply: Ann_V1_Reply, _ code: Ann_V1_ErrorCode, _ fragment: String? = nil,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(reply.error.code, code, "reply: \(reply.error.message)", file: file, line: line)
    XCTAssertNil(reply.result, "an error reply carries no results", file: file, line: line)
    if let fragment {
        XCTAssertTrue(reply.error.message.contains(fragment), "'\(reply.error.message)' does not mention '\(fragment)'",
                      file: file, line: line)
    }
}

/// Hits agree with a naive reference: same scores (to rounding) and the same ids wherever
/// the reference's scores are not near-ties.
func assertSameRanking(_ hits: [Ann_V1_Hit], _ reference: [(row: Int, score: Float)],
                       file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(hits.count, reference.count, "result count", file: file, line: line)
    for (i, (hit, ref)) in zip(hits, reference).enumerated() {
        XCTAssertEqual(hit.score, ref.score, accuracy: 1e-4, "score at rank \(i)", file: file, line: line)
        let tiedBefore = i > 0 && abs(reference[i - 1].score - ref.score) < 1e-4
        let tiedAfter = i + 1 < reference.count && abs(reference[i + 1].score - ref.score) < 1e-4
        if !tiedBefore && !tiedAfter {
            XCTAssertEqual(hit.id.num, ServerFixture.itemID(ref.row), "id at rank \(i)", file: file, line: line)
        }
    }
}
