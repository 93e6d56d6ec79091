import Foundation
import Server
import Store
import VectorIndex
import VectorMath
import Wire
import XCTest

/// Several clients at once, writes beside reads, reload under load, graceful shutdown.
final class ConcurrencyTests: XCTestCase {
    var fixture: ServerFixture!

    override func tearDown() {
        fixture?.tearDown()
    }

    /// Runs `body(i)` on `count` threads and waits (bounded).
    private func parallel(_ count: Int, timeout: TimeInterval = 20, _ body: @escaping @Sendable (Int) throws -> Void) {
        let group = DispatchGroup()
        let failures = FailureList()
        for i in 0..<count {
            group.enter()
            Thread {
                defer { group.leave() }
                do { try body(i) } catch { failures.add("thread \(i): \(error)") }
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + timeout), .success, "threads did not finish in time")
        XCTAssertEqual(failures.all, [])
    }

    func testConcurrentClientsGetCorrectAnswers() throws {
        fixture = try ServerFixture()
        let f = fixture!
        let wrong = FailureList()
        parallel(8) { t in
            let client = try f.client()
            for i in 0..<40 {
                let u = (t * 40 + i) % f.userCount
                let reply = try client.call(Requests.search(f.userVector(u), k: 5))
                let expected = f.reference(f.userVector(u), k: 5).map { ServerFixture.itemID($0.row) }
                if reply.results.hits.map(\.id.num) != expected { wrong.add("thread \(t) query \(i)") }
            }
        }
        XCTAssertEqual(wrong.all, [])
        let stats = assertOK(try fixture.client().call(Requests.stats)).stats
        XCTAssertEqual(stats.ops.first { $0.op == "search" && $0.status == "ok" }?.count, 320)
    }

    func testWritesBesideReads() throws {
        fixture = try ServerFixture()
        let f = fixture!
        parallel(5) { t in
            let client = try f.client()
            if t == 0 {
                for i in 0..<30 {
                    var v = [Float](repeating: 0, count: ServerFixture.dimension)
                    v[i % ServerFixture.dimension] = 200 + Float(i)
                    let reply = try client.call(Requests.upsertItem(UInt64(80_000 + i), vector: v))
                    if reply.isFailure { throw ServerError.internalError(reply.error.message) }
                    let hit = try client.call(Requests.search(v, k: 1)).results.hits.first?.id.num
                    if hit != UInt64(80_000 + i) { throw ServerError.internalError("write \(i) not seen: \(String(describing: hit))") }
                }
            } else {
                for i in 0..<60 {
                    let reply = try client.call(Requests.recommend(user: ServerFixture.userID((t + i) % f.userCount), k: 5))
                    if reply.isFailure || reply.results.hits.count != 5 { throw ServerError.internalError(reply.error.message) }
                }
            }
        }
        XCTAssertEqual(assertOK(try fixture.client().call(Requests.stats)).stats.items, 630)
    }

    func testReloadUnderLoadLosesNoRequest() throws {
        fixture = try ServerFixture()
        let f = fixture!
        let running = StopFlag()
        let answered = Counter()
        let group = DispatchGroup()
        let failures = FailureList()
        for t in 0..<4 {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let client = try f.client()
                    var i = 0
                    while running.isSet {
                        let reply = try client.call(Requests.similar(item: ServerFixture.itemID((t * 97 + i) % f.itemCount), k: 5))
                        if reply.isFailure { failures.add(reply.error.message) } else { answered.add() }
                        i += 1
                    }
                } catch { failures.add("\(error)") }
            }.start()
        }
        for _ in 0..<5 {
            Thread.sleep(forTimeInterval: 0.05)
            try fixture.server.reload()
        }
        Thread.sleep(forTimeInterval: 0.05)
        running.clear()
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(failures.all, [])
        XCTAssertGreaterThan(answered.value, 20)
        XCTAssertEqual(assertOK(try fixture.client().call(Requests.stats)).stats.generation, 6)
        XCTAssertEqual(fixture.log.count(containing: "reloaded (reload requested): generation"), 5)
    }

    func testReloadFollowsASymlinkToANewStore() throws {
        fixture = try ServerFixture()
        // Serve through a symlink, then point it at a second, smaller store and reload.
        let dir = fixture.directory
        let link = dir + "/current"
        let other = dir + "/other"
        let otherItems = (0..<30 * ServerFixture.dimension).map { Float($0 % 7) - 3 }
        try ServerFixture.writeStore(at: other, items: otherItems, users: [], histories: [])
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: fixture.storePath)
        fixture.tearDownServerOnly()
        try fixture.restart { $0.storePath = link }
        let client = try fixture.client()
        XCTAssertEqual(assertOK(try client.call(Requests.stats)).stats.items, 600)
        try FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: other)
        try fixture.server.reload()
        let stats = assertOK(try client.call(Requests.stats)).stats
        XCTAssertEqual(stats.items, 30)
        XCTAssertTrue(stats.index.contains("/other"), stats.index)
        // A bad target keeps the current generation serving.
        try FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: dir + "/missing")
        XCTAssertThrowsError(try fixture.server.reload())
        XCTAssertEqual(assertOK(try client.call(Requests.stats)).stats.items, 30)
    }

    /// Ranking that takes a while, so that requests are in flight when shutdown begins.
    struct SlowRanker: RecommendHandler {
        let delay: TimeInterval
        let started: Counter
        var summary: String { "slow" }
        func makeSession(store: EmbeddingStore, index: any SearchIndex, retriever: any Retriever) throws -> any RecommendSession {
            Session(delay: delay, started: started,
                    inner: try RetrievalOnlyRecommender().makeSession(store: store, index: index, retriever: retriever))
        }
        final class Session: RecommendSession {
            let delay: TimeInterval
            let started: Counter
            let inner: any RecommendSession
            init(delay: TimeInterval, started: Counter, inner: any RecommendSession) {
                self.delay = delay
                self.started = started
                self.inner = inner
            }
            func answer(_ query: RankingQuery, reader: StoreReader) throws -> RankedAnswer {
                started.add()
                Thread.sleep(forTimeInterval: delay)
                return try inner.answer(query, reader: reader)
            }
        }
    }

    func testShutdownFinishesRequestsInFlight() throws {
        let started = Counter()
        fixture = try ServerFixture { $0.recommendHandler = SlowRanker(delay: 0.3, started: started) }
        let f = fixture!
        let replies = FailureList()
        let group = DispatchGroup()
        for t in 0..<4 {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let reply = try f.client().call(Requests.recommend(user: ServerFixture.userID(t), k: 3))
                    replies.add(reply.isFailure ? "error \(reply.error.message)" : "ok \(reply.results.hits.count)")
                } catch { replies.add("transport \(error)") }
            }.start()
        }
        let deadline = Date(timeIntervalSinceNow: 5)
        while started.value < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertGreaterThanOrEqual(started.value, 2, "requests in flight before shutdown")
        let clock = Date()
        XCTAssertTrue(fixture.server.shutdown(timeout: 5), "every request in flight finished")
        XCTAssertEqual(group.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(replies.all.sorted(), Array(repeating: "ok 3", count: 4))
        XCTAssertLessThan(Date().timeIntervalSince(clock), 3)
        XCTAssertThrowsError(try ServerClient(url: fixture.url, timeout: .milliseconds(300)).call(Requests.health),
                             "nothing listens after shutdown")
    }
}

final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}

final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = true
    func clear() { lock.lock(); set = false; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return set }
}
