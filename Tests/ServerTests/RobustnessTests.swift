import Foundation
import NNG
import Server
import TestSupport
import Wire
import XCTest

/// Malformed input gets an error reply and the server keeps serving: random bytes, truncated
/// protobuf, wrong JSON, oversized messages.
final class RobustnessTests: XCTestCase {
    var fixture: ServerFixture!

    override func setUpWithError() throws {
        fixture = try ServerFixture { $0.limits.maxMessageBytes = 8192 }
    }

    override func tearDown() {
        fixture?.tearDown()
    }

    private func assertServing(_ client: ServerClient, file: StaticString = #filePath, line: UInt = #line) throws {
        assertOK(try client.call(Requests.health), file: file, line: line)
    }

    func testRandomBytesAreAnsweredAndTheServerKeepsServing() throws {
        let client = try fixture.client()
        var random = SeededRandom(seed: 99)
        var errors = 0
        for _ in 0..<300 {
            let count = 1 + random.next(below: 200)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let reply = try client.exchange(bytes).withUnsafeBytes { try WireCodec.decodeReply($0) }
            if reply.isFailure {
                errors += 1
                XCTAssertTrue([.badRequest, .unknownID, .dimensionMismatch, .limitExceeded].contains(reply.error.code),
                              "\(reply.error.code.name): \(reply.error.message)")
                XCTAssertFalse(reply.error.message.isEmpty)
            }
        }
        XCTAssertGreaterThan(errors, 250, "random bytes are almost never a valid request")
        try assertServing(client)
    }

    func testTruncatedProtobufIsABadRequest() throws {
        let client = try fixture.client()
        var request = Requests.search(fixture.userVector(0), k: 5)
        request.requestID = 9
        request.search.filter.categories = ["c1", "c2"]
        let whole = try WireCodec.encode(request, as: .binary)
        var truncated = 0
        for cut in 1..<whole.count {
            let reply = try client.exchange(Array(whole.prefix(cut))).withUnsafeBytes { try WireCodec.decodeReply($0) }
            XCTAssertTrue(reply.isFailure, "prefix of \(cut) bytes answered without error")
            if reply.error.message.contains("truncated") { truncated += 1 }
        }
        XCTAssertGreaterThan(truncated, whole.count / 2, "most cuts are reported as truncated")
        assertOK(try client.call(request))
    }

    func testWrongJSONIsABadRequestInJSON() throws {
        let client = try fixture.client()
        let cases: [(String, String)] = [
            ("{", "truncated"),
            (#"{"search": 5}"#, "malformed json"),
            (#"{"requestId": "x", "health": {}}"#, "malformed json"),
            (#"{"nope": {}}"#, "unknown field 'nope'"),
            (#"{"search": {"vector": "abc"}}"#, "malformed json"),
            (#"{"search": {}, "health": {}}"#, "oneof"),
            (#"{"similar": {"item": {"num": -3}}}"#, "malformed json"),
            (#"{"health": {}} trailing"#, "malformed json"),
            (#"{"requestId": "1"}"#, "names no operation"),
            (#"{"search": {"vector": [1, 2]}}"#, "dimension mismatch"),
            (String(repeating: #"{"batch": {"requests": ["#, count: 20), "malformed json"),
        ]
        for (text, fragment) in cases {
            let bytes = try client.exchange(Array(text.utf8))
            XCTAssertEqual(bytes.first, UInt8(ascii: "{"), "JSON in, JSON out: \(text)")
            let reply = try bytes.withUnsafeBytes { try WireCodec.decodeReply($0) }
            XCTAssertTrue(reply.isFailure, text)
            XCTAssertTrue(reply.error.message.contains(fragment), "\(text) -> \(reply.error.message)")
        }
        try assertServing(client)
    }

    /// Limits that contradict each other are refused at start-up, each named.
    func testContradictoryLimitsAreRefusedByName() throws {
        fixture.tearDown()
        fixture = nil
        let cases: [(String, (inout ServerConfiguration) -> Void)] = [
            ("max candidates 50: expected at least max k (1000), since candidates must be at least k", { $0.limits.maxCandidates = 50 }),
            ("default candidates 100: expected 1...50 (max candidates)", { $0.limits.maxK = 20; $0.limits.maxCandidates = 50 }),
            ("default k 10: expected 1...5 (max k)", { $0.limits.maxK = 5 }),
            ("max batch 0: expected at least 1", { $0.limits.maxBatch = 0 }),
            ("max message size 3000000000: expected 1024...1073741824 bytes", { $0.limits.maxMessageBytes = 3_000_000_000 }),
        ]
        for (message, configure) in cases {
            XCTAssertThrowsError(try ServerFixture(configure: configure)) {
                XCTAssertEqual($0 as? ServerError, .invalidConfiguration(message))
            }
        }
    }

    func testEmptyMessage() throws {
        let client = try fixture.client()
        let reply = try client.exchange([]).withUnsafeBytes { try WireCodec.decodeReply($0) }
        assertError(reply, .badRequest, "empty message")
        try assertServing(client)
    }

    func testMessageOverTheSocketLimitDropsOnlyThatConnection() throws {
        // 8192 is the message limit; the socket refuses more than twice that without buffering it.
        let victim = try fixture.client(timeout: .milliseconds(500))
        XCTAssertThrowsError(try victim.exchange([UInt8](repeating: 0x0a, count: 40_000)))
        victim.close()
        let other = try fixture.client()
        try assertServing(other)
        let reply = try other.exchange([UInt8](repeating: 0x0a, count: 9000)).withUnsafeBytes { try WireCodec.decodeReply($0) }
        assertError(reply, .limitExceeded, "message size in bytes is 9000, over the limit of 8192")
    }

    func testDeeplyNestedBatchIsRefused() throws {
        let client = try fixture.client()
        var inner = Requests.health
        for _ in 0..<40 {
            var outer = Ann_V1_Request()
            outer.batch.requests = [inner]
            inner = outer
        }
        // Encode without the client's checks: depth is the server's business.
        let reply = try client.exchange(try WireCodec.encode(inner, as: .binary)).withUnsafeBytes { try WireCodec.decodeReply($0) }
        assertError(reply, .badRequest, "nested too deeply")
        var nested = Ann_V1_Request()
        var batch = Ann_V1_Request()
        batch.batch.requests = [Requests.health]
        nested.batch.requests = [batch]
        let answered = assertOK(try client.call(nested))
        assertError(answered.batch.replies[0], .badRequest, "only search, recommend and similar")
    }
}
