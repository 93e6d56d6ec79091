import SwiftProtobuf
import Wire
import XCTest

/// `ReplyPeek.errorCode(of:)` (what `annctl load` reads of each reply) agrees with decoding the
/// whole reply: OK replies with results, error replies with and without a message, an error
/// message whose code is 0, fields before and after the error; malformed bytes give nil.
final class ReplyPeekTests: XCTestCase {
    private func bytes(_ reply: Ann_V1_Reply) throws -> [UInt8] { [UInt8](try reply.serializedData()) }

    private func peek(_ bytes: [UInt8]) -> Ann_V1_ErrorCode? {
        bytes.withUnsafeBytes { ReplyPeek.errorCode(of: $0) }
    }

    func testAgreesWithDecodingTheReply() throws {
        var ok = Ann_V1_Reply()
        ok.requestID = 300
        var hit = Ann_V1_Hit()
        hit.id = .string("item-7")
        hit.score = 0.25
        hit.reason = "because"
        ok.results.hits = [hit, hit]
        ok.results.querySource = "user"
        var replies = [ok, Ann_V1_Reply()]
        for code in Ann_V1_ErrorCode.allCases where code != .ok {
            var error = Ann_V1_Reply()
            error.requestID = UInt64.max
            error.error.code = code
            error.error.message = "what went wrong: \(code)"
            replies.append(error)
            var bare = Ann_V1_Reply()
            bare.error.code = code
            replies.append(bare)
        }
        var zeroCode = Ann_V1_Reply()
        zeroCode.error.message = "no code"
        replies.append(zeroCode)
        for reply in replies {
            let encoded = try bytes(reply)
            let decoded = try Ann_V1_Reply(serializedBytes: encoded)
            XCTAssertEqual(peek(encoded), decoded.hasError ? decoded.error.code : .ok, "\(reply)")
        }
        // The error's code after its message (fields in another order are valid protobuf).
        let message = Array("late code".utf8)
        let reordered: [UInt8] = [0x08, 0x05, 0x12, UInt8(2 + message.count + 2), 0x12, UInt8(message.count)] + message + [0x08, 0x03]
        XCTAssertEqual(try Ann_V1_Reply(serializedBytes: reordered).error.code, .dimensionMismatch)
        XCTAssertEqual(peek(reordered), .dimensionMismatch)
    }

    func testMalformedBytesGiveNil() throws {
        var error = Ann_V1_Reply()
        error.requestID = 12
        error.error.code = .limitExceeded
        error.error.message = "k is 5000"
        let encoded = try bytes(error)
        // Cut inside the error: its length runs past the end.
        for cut in 1..<encoded.count {
            let prefix = Array(encoded[0..<cut])
            if (try? Ann_V1_Reply(serializedBytes: prefix)) == nil { XCTAssertNil(peek(prefix), "cut at \(cut)") }
        }
        XCTAssertNil(peek([0x12, 0x7f, 0x08]), "length past the end")
        XCTAssertNil(peek([0x0b]), "wire type 3 (groups) is not used by ann.v1")
        XCTAssertNil(peek([0x08, 0xff]), "unterminated varint")
        XCTAssertEqual(peek([]), .ok, "an empty reply is a default reply")
    }
}
