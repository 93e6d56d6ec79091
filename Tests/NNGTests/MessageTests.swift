import NNG
import XCTest

final class MessageTests: XCTestCase {
    func testEmptyMessageOwnsNothingAndReadsEmpty() {
        let message = Message()
        XCTAssertEqual(message.count, 0)
        XCTAssertTrue(message.isEmpty)
        XCTAssertEqual(message.capacity, 0)
        XCTAssertEqual(message.bytes, [])
        XCTAssertEqual(message.withBody { $0.count }, 0)
        message.clear()
        XCTAssertEqual(message.count, 0)
    }

    func testCapacityAppendAndBytes() throws {
        let message = try Message(capacity: 100)
        XCTAssertGreaterThanOrEqual(message.capacity, 100)
        XCTAssertEqual(message.count, 0)
        try message.append([1, 2, 3])
        try message.append(ArraySlice<UInt8>([4, 5]))
        try message.append((6 as UInt8)...8)  // not contiguous storage
        XCTAssertEqual(message.bytes, [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(message.count, 8)
        XCTAssertEqual(message.withBody { $0.reduce(0) { $0 + Int($1) } }, 36)
    }

    func testInitFromBytesClearAndReuse() throws {
        let message = try Message(bytes: Array("hello".utf8))
        XCTAssertEqual(message.bytes, Array("hello".utf8))
        let capacity = message.capacity
        message.clear()
        XCTAssertEqual(message.count, 0)
        XCTAssertEqual(message.capacity, capacity, "clear keeps the allocation")
        try message.append(Array("again".utf8))
        XCTAssertEqual(message.bytes, Array("again".utf8))
    }

    func testResizeAndMutableBody() throws {
        let message = Message()
        try message.resize(to: 4)
        message.withMutableBody { body in
            for i in body.indices { body[i] = UInt8(10 + i) }
        }
        XCTAssertEqual(message.bytes, [10, 11, 12, 13])
        message.withMutableBody { body in var body = body; body.reverse() }
        XCTAssertEqual(message.bytes, [13, 12, 11, 10])
        try message.resize(to: 2)
        XCTAssertEqual(message.bytes, [13, 12])
    }

    func testLargeBody() throws {
        let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let message = try Message(bytes: payload)
        XCTAssertEqual(message.bytes, payload)
    }
}
