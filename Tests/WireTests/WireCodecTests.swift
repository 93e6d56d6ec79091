import Foundation
import Wire
import XCTest

final class WireCodecTests: XCTestCase {
    private func everyOp() -> [Ann_V1_Request] {
        var search = Ann_V1_Request()
        search.requestID = 1
        search.search.vector = [0.5, -1, 2]
        search.search.k = 7
        search.search.ef = 64
        search.search.filter.categories = ["c1"]
        search.search.filter.excludeItems = [.number(3), .string("x")]
        var recommend = Ann_V1_Request()
        recommend.requestID = 2
        recommend.recommend.user = .string("u1")
        recommend.recommend.context = ["device": "mobile"]
        recommend.recommend.mmr.lambda = 0.7
        recommend.recommend.candidates = 500
        var similar = Ann_V1_Request()
        similar.requestID = UInt64.max
        similar.similar.item = .number(UInt64.max)
        var batch = Ann_V1_Request()
        batch.batch.requests = [search, similar]
        var upsert = Ann_V1_Request()
        var record = Ann_V1_Record()
        record.id = .number(9)
        record.vector = [1, 2, 3]
        var tags = Ann_V1_Feature()
        tags.labels.values = ["a", "b"]
        record.features = ["tags": tags]
        upsert.upsert.items = [record]
        var history = Ann_V1_History()
        history.user = .string("u1")
        var interaction = Ann_V1_Interaction()
        interaction.item = .number(9)
        interaction.time = 1_700_000_000
        history.interactions = [interaction]
        upsert.upsert.histories = [history]
        var delete = Ann_V1_Request()
        delete.delete.items = [.number(9)]
        var stats = Ann_V1_Request()
        stats.stats = Ann_V1_StatsRequest()
        var health = Ann_V1_Request()
        health.health = Ann_V1_HealthRequest()
        return [search, recommend, similar, batch, upsert, delete, stats, health]
    }

    func testRequestsRoundTripInBothEncodings() throws {
        for request in everyOp() {
            for encoding in [WireEncoding.binary, .json] {
                let bytes = try WireCodec.encode(request, as: encoding)
                let (decoded, seen) = try bytes.withUnsafeBytes { try WireCodec.decodeRequest($0) }
                XCTAssertEqual(decoded, request, "\(request.opName) in \(encoding)")
                XCTAssertEqual(seen, encoding)
            }
        }
    }

    func testNoBinaryRequestStartsWithABrace() throws {
        for request in everyOp() {
            XCTAssertNotEqual(try WireCodec.encode(request, as: .binary).first, UInt8(ascii: "{"), request.opName)
        }
    }

    func testRepliesRoundTrip() throws {
        var reply = Ann_V1_Reply()
        reply.requestID = 5
        var hit = Ann_V1_Hit()
        hit.id = .string("item-1")
        hit.score = 0.25
        hit.reason = "because"
        var f = Ann_V1_Feature()
        f.time = -5
        hit.features = ["released": f]
        reply.results.hits = [hit]
        let failure = Ann_V1_Reply.failure(requestID: 6, code: .limitExceeded, message: "k is 5000")
        for r in [reply, failure] {
            for encoding in [WireEncoding.binary, .json] {
                let bytes = try WireCodec.encode(r, as: encoding)
                XCTAssertEqual(try bytes.withUnsafeBytes { try WireCodec.decodeReply($0) }, r)
            }
        }
        XCTAssertTrue(failure.isFailure)
        XCTAssertFalse(reply.isFailure)
    }

    func testDocumentedJSONExamplesDecode() throws {
        let texts = [
            #"{"requestId": "1", "health": {}}"#,
            #"{"requestId": 2, "search": {"vector": [0.1, 0.2], "k": 10, "filter": {"categories": ["c3"]}}}"#,
            #"{"requestId": "3", "recommend": {"user": {"str": "u42"}, "k": 10, "mmr": {"lambda": 0.7}}}"#,
            #"{"similar": {"item": {"num": "1000000"}, "k": 5, "features": ["category"]}}"#,
        ]
        for text in texts {
            let (request, encoding) = try Array(text.utf8).withUnsafeBytes { try WireCodec.decodeRequest($0) }
            XCTAssertEqual(encoding, .json)
            XCTAssertNotNil(request.op, text)
        }
        let (r, _) = try Array(texts[0].utf8).withUnsafeBytes { try WireCodec.decodeRequest($0) }
        XCTAssertEqual(r.requestID, 1)
        XCTAssertEqual(r.opName, "health")
    }

    func testMalformedMessagesNameTheFault() throws {
        func failure(_ bytes: [UInt8]) -> WireError? {
            do {
                _ = try bytes.withUnsafeBytes { try WireCodec.decodeRequest($0) }
                return nil
            } catch let e as WireError {
                return e
            } catch {
                return nil
            }
        }
        XCTAssertEqual(failure([]), .empty)
        XCTAssertEqual(failure(Array(#"{"nope": 1}"#.utf8)), .malformed(encoding: .json, reason: "unknown field 'nope'"))
        // JSON decoding errors name the member (protobuf's decoder does not).
        for (text, reason) in [(#"{"requestId": "1", "recommend": {"k": -1}}"#, "recommend.k: malformed number"),
                               (#"{"recommend": {"includeSeen": "true", "k": 3}}"#, "recommend.includeSeen: a value of the wrong type for its field"),
                               (#"{"upsert": {"items": [{"id": {"num": "1"}}, {"id": {"num": "2"}, "vector": ["x"]}]}}"#, "upsert.items[1].vector[0]: malformed number"),
                               (#"{"recommend": {"session": {"time": "soon"}}}"#, "recommend.session.time: malformed number")] {
            guard case .malformed(.json, let got)? = failure(Array(text.utf8)) else { XCTFail(text); continue }
            XCTAssertTrue(got.hasPrefix(reason.prefix(while: { $0 != ":" }) + ":"), "\(text): \(got)")
        }
        XCTAssertEqual(failure(Array(#"{"search": {}, "health": {}}"#.utf8)),
                       .malformed(encoding: .json, reason: "two members of a oneof are set (e.g. two operations in one request)"))
        let whole = try WireCodec.encode(everyOp()[0], as: .binary)
        XCTAssertEqual(failure(Array(whole.dropLast(3))),
                       .malformed(encoding: .binary, reason: "truncated (a field runs past the end of the message)"))
        XCTAssertEqual(failure([0x0f]), .malformed(encoding: .binary, reason: "not a protobuf message (bad tag, wire type or length)"))
        XCTAssertTrue(WireError.malformed(encoding: .json, reason: "x").description.contains("malformed json ann.v1 message"))
    }

    /// JSON after a byte-order mark or white space (editors, `echo`) is JSON, and decodes.
    func testJSONAfterABOMOrWhiteSpace() throws {
        for prefix in [[UInt8](), [0xEF, 0xBB, 0xBF], Array(" \n\t".utf8), [0xEF, 0xBB, 0xBF, 0x0A]] {
            let bytes = prefix + Array(#"{"requestId": "9", "health": {}}"#.utf8)
            let (r, encoding) = try bytes.withUnsafeBytes { try WireCodec.decodeRequest($0) }
            XCTAssertEqual(encoding, .json)
            XCTAssertEqual(r.requestID, 9)
            XCTAssertEqual(r.opName, "health")
            XCTAssertEqual(bytes.withUnsafeBytes { WireCodec.peekRequestID($0) }, 9)
        }
        let binary = try WireCodec.encode(everyOp()[0], as: .binary)
        XCTAssertEqual(binary.withUnsafeBytes { WireEncoding.of($0) }, .binary)
    }

    func testPeekRequestID() throws {
        for id: UInt64 in [1, 127, 128, 300, UInt64.max] {
            var r = Ann_V1_Request()
            r.requestID = id
            r.search.vector = [Float](repeating: 1, count: 100)
            let bytes = try WireCodec.encode(r, as: .binary)
            XCTAssertEqual(Array(bytes.prefix(12)).withUnsafeBytes { WireCodec.peekRequestID($0) }, id)
        }
        XCTAssertNil([UInt8]([0x52, 0x00]).withUnsafeBytes { WireCodec.peekRequestID($0) }, "no id field first")
        XCTAssertNil([UInt8]([0x08, 0x80]).withUnsafeBytes { WireCodec.peekRequestID($0) }, "truncated varint")
        // JSON: when requestId (or request_id) comes first, as a number or a decimal string.
        for (text, id) in [(#"{"requestId": "5", "bogus": 1}"#, UInt64(5)), (#"{ "request_id" : 18446744073709551615 ,"#, .max),
                           (#"{"requestId":7}"#, 7)] {
            XCTAssertEqual(Array(text.utf8).withUnsafeBytes { WireCodec.peekRequestID($0) }, id, text)
        }
        for text in [#"{"health": {}, "requestId": 5}"#, #"{"requestId": 1.5}"#, #"{"requestId": "x"}"#, #"{"requestId": 18446744073709551616}"#] {
            XCTAssertNil(Array(text.utf8).withUnsafeBytes { WireCodec.peekRequestID($0) }, text)
        }
    }

    func testNames() {
        XCTAssertEqual(Ann_V1_ErrorCode.ok.name, "ok")
        XCTAssertEqual(Ann_V1_ErrorCode.unknownID.name, "UNKNOWN_ID")
        XCTAssertEqual(Ann_V1_ErrorCode.internal.name, "INTERNAL")
        XCTAssertEqual(Ann_V1_Id.number(42).text, "42")
        XCTAssertEqual(Ann_V1_Id.string("u1").text, "u1")
        XCTAssertEqual(everyOp().map(\.opName), ["search", "recommend", "similar", "batch", "upsert", "delete", "stats", "health"])
        XCTAssertEqual(Ann_V1_Request().opName, "none")
    }
}
