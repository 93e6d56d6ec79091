import Foundation
import NNG
@testable import Server
import Wire
import XCTest

/// Requests answered on the NNG thread that received them (`RequestHandler.route` says
/// `.inline`) against the same requests through the worker pool.
final class InlinePathTests: XCTestCase {
    var fixture: ServerFixture!
    var poolOnly: ServerFixture!

    override func tearDown() {
        fixture?.tearDown()
        poolOnly?.tearDown()
    }

    private func route(_ request: Ann_V1_Request, _ f: ServerFixture) -> RequestHandler.Route {
        let core = f.server.core
        let scratch = core.makeScratch()
        defer { scratch.release() }
        return core.handler.route(request, scratch: scratch)
    }

    func testOnlyReadsOfBoundedCostRunInline() throws {
        fixture = try ServerFixture()
        let f = fixture!
        let v = f.itemVector(3)
        XCTAssertEqual(route(Requests.search(v, k: 10), f), .inline)
        XCTAssertEqual(route(Requests.stats, f), .inline)
        XCTAssertEqual(route(Requests.health, f), .inline)
        var wide = Requests.search(v, k: 10)
        wide.search.ef = 257
        XCTAssertEqual(route(wide, f), .pool, "ef over inlineSearchBreadth (256)")
        XCTAssertEqual(route(Requests.search(v, k: 257), f), .pool, "k over inlineSearchBreadth")
        var filter = Ann_V1_Filter()
        filter.categories = ["c1"]
        XCTAssertEqual(route(Requests.search(v, k: 10, filter: filter), f), .pool, "a filter can make a walk long")
        XCTAssertEqual(route(Requests.recommend(user: ServerFixture.userID(0), k: 5), f), .pool)
        XCTAssertEqual(route(Requests.similar(item: ServerFixture.itemID(0), k: 5), f), .pool)
        var batch = Ann_V1_Request()
        batch.batch.requests = [Requests.search(v, k: 3)]
        XCTAssertEqual(route(batch, f), .pool)
        var delete = Ann_V1_Request()
        var id = Ann_V1_Id()
        id.num = ServerFixture.itemID(0)
        delete.delete.items = [id]
        XCTAssertEqual(route(delete, f), .writer)

        poolOnly = try ServerFixture { $0.inlineSearchBreadth = 0 }
        XCTAssertEqual(route(Requests.search(v, k: 10), poolOnly), .pool)
        XCTAssertEqual(route(Requests.stats, poolOnly), .pool)
    }

    func testInlineRepliesEqualPoolRepliesByteForByte() throws {
        fixture = try ServerFixture()
        poolOnly = try ServerFixture { $0.inlineSearchBreadth = 0 }
        let inline = try fixture.client(), pooled = try poolOnly.client()
        let inlineBefore = fixture.server.inlineAnswered.load(ordering: .relaxed)
        for row in stride(from: 0, to: fixture.itemCount, by: 20) {
            var request = Requests.search(fixture.itemVector(row), k: 7)
            request.requestID = UInt64(row + 1)
            let binary = try WireCodec.encode(request, as: .binary)
            let a = try inline.exchange(binary), b = try pooled.exchange(binary)
            XCTAssertEqual(a, b, "row \(row), binary")
            let reply = try a.withUnsafeBytes { try WireCodec.decodeReply($0) }
            XCTAssertEqual(reply.results.hits.map(\.id.num),
                           fixture.reference(fixture.itemVector(row), k: 7).map { ServerFixture.itemID($0.row) })
            let json = try WireCodec.encode(request, as: .json)
            XCTAssertEqual(try inline.exchange(json), try pooled.exchange(json), "row \(row), JSON")
        }
        // A dimension mismatch is answered inline too, and the server keeps serving.
        let wrong = try fixture.client().call(Requests.search([1, 2, 3], k: 5))
        XCTAssertEqual(wrong.error.code, .dimensionMismatch)
        XCTAssertEqual(try fixture.client().call(Requests.health).error.code, .ok)
        XCTAssertEqual(fixture.server.inlineAnswered.load(ordering: .relaxed) - inlineBefore, 2 * 30 + 2)
        XCTAssertEqual(poolOnly.server.inlineAnswered.load(ordering: .relaxed), 0)
    }

    /// Several requests in flight on one connection: replies meet a connection still
    /// writing the previous one, so their sends complete later (the background path).
    func testPipelinedRequestsOnOneConnectionAreAllAnswered() throws {
        fixture = try ServerFixture()
        let socket = try Socket.requester()
        defer { socket.close() }
        try socket.setRequestResendTime(nil)
        try socket.dial(fixture.url)
        let count = 16
        let contexts = try (0..<count).map { _ in try Context(socket: socket) }
        let aios = try (0..<count).map { _ in try AIO() }
        defer { for aio in aios { aio.close() } }
        for i in 0..<count {
            aios[i].setTimeout(.seconds(5))
            var request = Requests.search(fixture.itemVector(i * 7), k: 4)
            request.requestID = UInt64(100 + i)
            XCTAssertTrue(contexts[i].send(try Message(bytes: WireCodec.encode(request, as: .binary)), aio: aios[i]))
        }
        for i in 0..<count {
            aios[i].wait()
            XCTAssertNil(aios[i].result, "send \(i)")
            XCTAssertTrue(contexts[i].receive(aio: aios[i]))
        }
        for i in 0..<count {
            aios[i].wait()
            XCTAssertNil(aios[i].result, "reply \(i)")
            let reply = try XCTUnwrap(aios[i].takeMessage()).withBody { try WireCodec.decodeReply($0) }
            XCTAssertEqual(reply.requestID, UInt64(100 + i))
            XCTAssertEqual(reply.results.hits.map(\.id.num),
                           fixture.reference(fixture.itemVector(i * 7), k: 4).map { ServerFixture.itemID($0.row) })
        }
    }

    func testShutdownFinishesInlineRequestsInFlight() throws {
        fixture = try ServerFixture()
        let f = fixture!
        let wrong = FailureList(), answered = Counter(), threadsDone = DispatchGroup()
        for t in 0..<6 {
            threadsDone.enter()
            Thread {
                defer { threadsDone.leave() }
                guard let client = try? f.client(timeout: .seconds(2)) else { wrong.add("thread \(t): no client"); return }
                for i in 0... {
                    let row = (t * 97 + i) % f.itemCount
                    guard let reply = try? client.call(Requests.search(f.itemVector(row), k: 5)) else { return }
                    let expected = f.reference(f.itemVector(row), k: 5).map { ServerFixture.itemID($0.row) }
                    if reply.isFailure {
                        // Only a request that arrived after shutdown began may be refused.
                        if reply.error.code != .notReady { wrong.add("thread \(t): \(reply.error.message)") }
                    } else if reply.results.hits.map(\.id.num) != expected {
                        wrong.add("thread \(t) row \(row): wrong hits")
                    } else {
                        answered.add()
                    }
                }
            }.start()
        }
        let deadline = Date(timeIntervalSinceNow: 5)
        while answered.value < 200 && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        XCTAssertTrue(f.server.shutdown(timeout: 5), "every request in flight was answered")
        XCTAssertEqual(threadsDone.wait(timeout: .now() + 10), .success, "clients stopped after shutdown")
        XCTAssertEqual(wrong.all, [])
        XCTAssertGreaterThanOrEqual(answered.value, 200)
        XCTAssertGreaterThanOrEqual(f.server.inlineAnswered.load(ordering: .relaxed), answered.value)
    }
}
