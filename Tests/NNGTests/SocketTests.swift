import Foundation
import NNG
import XCTest

final class SocketTests: XCTestCase {
    private func assertRoundTrip(_ server: Socket, _ client: Socket, file: StaticString = #filePath, line: UInt = #line) throws {
        let request = Array("ping \(UUID().uuidString)".utf8)
        try client.send(request)
        XCTAssertEqual(try server.receiveBytes(), request, file: file, line: line)
        try server.send(Array(request.reversed()))
        XCTAssertEqual(try client.receiveBytes(), Array(request.reversed()), file: file, line: line)
    }

    func testRoundTripOverTCPWithBoundPort() throws {
        let (server, client, url) = try pair()
        XCTAssertFalse(url.hasSuffix(":0"), url)
        try assertRoundTrip(server, client)
        try assertRoundTrip(server, client)
    }

    func testRoundTripOverIPC() throws {
        let (server, client, _) = try pair(listening: try TestAddresses.ipc(self))
        try assertRoundTrip(server, client)
    }

    func testRoundTripOverInproc() throws {
        let (server, client, _) = try pair(listening: TestAddresses.inproc())
        try assertRoundTrip(server, client)
    }

    func testSendMessageMovesItAndLeavesItReusable() throws {
        let (server, client, _) = try pair(listening: TestAddresses.inproc())
        let message = try Message(bytes: [1, 2, 3])
        try client.send(message)
        XCTAssertEqual(message.count, 0, "sent message is empty: NNG owns its nng_msg")
        let received = Message()
        try server.receive(into: received)
        XCTAssertEqual(received.bytes, [1, 2, 3])
        received.withMutableBody { body in var body = body; body.reverse() }
        try server.send(received)
        try message.append([9])  // reuse after a send
        XCTAssertEqual(message.bytes, [9])
        XCTAssertEqual(try client.receive().bytes, [3, 2, 1])
    }

    func testFailedSendKeepsTheMessage() throws {
        let server = try Socket.replier()
        defer { server.close() }
        let message = try Message(bytes: [7, 7])
        // A REP socket has no request to answer yet.
        assertNNGError(.badState) { try server.send(message) }
        XCTAssertEqual(message.bytes, [7, 7])
    }

    func testEmptyMessages() throws {
        let (server, client, _) = try pair(listening: TestAddresses.inproc())
        try client.send([UInt8]())
        XCTAssertEqual(try server.receiveBytes(), [])
        try server.send(Message())
        XCTAssertEqual(try client.receiveBytes(), [])
    }

    func testReceiveTimeout() throws {
        let server = try Socket.replier()
        defer { server.close() }
        try server.listen(TestAddresses.inproc())
        try server.setReceiveTimeout(.milliseconds(100))
        let start = ContinuousClock.now
        assertNNGError(.timedOut) { try server.receive() }
        let elapsed = ContinuousClock.now - start
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(90))
        XCTAssertLessThan(elapsed, .seconds(3))
        try server.setReceiveTimeout(milliseconds: 0)
        assertNNGError(.timedOut) { try server.receiveBytes() }
    }

    func testListenTwiceOnTheSameAddressIsAddressInUse() throws {
        let first = try Socket.replier(), second = try Socket.replier()
        defer { first.close(); second.close() }
        let tcp = try TestAddresses.listenTCP(first)
        assertNNGError(.addressInUse) { try second.listen(tcp) }
        let inproc = TestAddresses.inproc()
        try first.listen(inproc)
        assertNNGError(.addressInUse) { try second.listen(inproc) }
        let ipc = try TestAddresses.ipc(self)
        try first.listen(ipc)
        assertNNGError(.addressInUse) { try second.listen(ipc) }
    }

    func testBadAddresses() throws {
        let socket = try Socket.replier()
        defer { socket.close() }
        assertNNGError(.invalidAddress) { try socket.listen("tcp://127.0.0.1:99999") }
        assertNNGError(.invalidArgument) { try socket.listen("not a url") }
        assertNNGError(.notSupported) { try socket.listen("nosuch://x") }
        assertNNGError(.notSupported) { try socket.listen(TestAddresses.inproc()).boundPort() }
    }

    func testOversizeMessageIsDroppedAndTheNextOneArrives() throws {
        let server = try Socket.replier(), client = try Socket.requester()
        defer { client.close(); server.close() }
        try server.setReceiveMaxSize(1024)
        let url = try TestAddresses.listenTCP(server)
        try client.setSendTimeout(.seconds(5))
        try client.setReceiveTimeout(.seconds(5))
        try client.dial(url)

        try client.send([UInt8](repeating: 0xAB, count: 4096))
        try server.setReceiveTimeout(.milliseconds(500))
        assertNNGError(.timedOut) { try server.receive() }  // dropped by the transport

        // A new request replaces the unanswered one; the client reconnects and sends it.
        let normal = Array("small request".utf8)
        try client.send(normal)
        try server.setReceiveTimeout(.seconds(5))
        XCTAssertEqual(try server.receiveBytes(), normal)
        try server.send(Array("reply".utf8))
        XCTAssertEqual(try client.receiveBytes(), Array("reply".utf8))
    }

    /// A free loopback port: bound by a listener that is then closed.
    private func closedPortURL() throws -> String {
        let probe = try Socket.replier()
        defer { probe.close() }
        return try TestAddresses.listenTCP(probe)
    }

    func testBlockingDialToAClosedPortIsRefused() throws {
        let client = try Socket.requester()
        defer { client.close() }
        let url = try closedPortURL()
        assertNNGError(.connectionRefused) { try client.dial(url) }
    }

    func testNonBlockingDialToAClosedPortThenRequestTimesOut() throws {
        let client = try Socket.requester()
        defer { client.close() }
        let url = try closedPortURL()
        try client.dial(url, nonBlocking: true)
        try client.setSendTimeout(.milliseconds(200))
        try client.setReceiveTimeout(.milliseconds(200))
        let start = ContinuousClock.now
        assertNNGError(.timedOut) { try client.send(Array("anyone?".utf8)) }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(3))
    }

    func testCloseIsIdempotentAndUnblocksAReceiver() throws {
        let server = try Socket.replier()
        try server.listen(TestAddresses.inproc())
        try server.setReceiveTimeout(.seconds(5))
        let done = expectation(description: "receive returns")
        let thread = Thread {
            assertNNGError(.closed) { try server.receive() }
            done.fulfill()
        }
        thread.start()
        nngSleep(for: .milliseconds(50))
        server.close()
        server.close()
        wait(for: [done], timeout: 5)
        assertNNGError(.closed) { try server.send([1]) }
    }
}
