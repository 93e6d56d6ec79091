import Foundation
import NNG
import XCTest

/// Failures gathered on client threads, asserted on the test thread.
private final class Problems: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ problem: String) { lock.withLock { list.append(problem) } }
    var all: [String] { lock.withLock { list } }
}

final class ContextTests: XCTestCase {
    /// 4 requester threads x 50 requests against a REP server with 4 contexts.
    func testFourContextsAnswer200ConcurrentRequests() throws {
        let socket = try Socket.replier()
        let url = try TestAddresses.listenTCP(socket)
        let server = try ReverseServer(socket: socket, workItems: 4, holdUntilInWork: 4)
        server.start()

        let clients = 4, perClient = 50
        let problems = Problems()
        let group = DispatchGroup()
        for c in 0..<clients {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let client = try Socket.requester()
                    defer { client.close() }
                    try client.setSendTimeout(.seconds(5))
                    try client.setReceiveTimeout(.seconds(5))
                    try client.dial(url)
                    for i in 0..<perClient {
                        let request = Array("client \(c) request \(i) \(String(repeating: "x", count: i))".utf8)
                        try client.send(request)
                        let reply = try client.receiveBytes()
                        if reply != Array(request.reversed()) {
                            problems.add("client \(c) request \(i): wrong reply")
                        }
                    }
                } catch {
                    problems.add("client \(c): \(error)")
                }
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success, "clients did not finish")
        XCTAssertEqual(problems.all, [])
        XCTAssertTrue(server.waitUntilServed(clients * perClient))
        XCTAssertEqual(server.servedCount, clients * perClient)
        XCTAssertEqual(server.maxInWork, 4, "the 4 contexts did not hold 4 requests at once")
        XCTAssertTrue(server.shutdown(), "work items did not all see .closed")
    }

    func testClosingTheSocketCompletesAPendingReceiveWithClosed() throws {
        let socket = try Socket.replier()
        try socket.listen(TestAddresses.inproc())
        let context = try Context(socket: socket)
        let done = DispatchSemaphore(value: 0)
        var result: NNGError?
        let aio = try AIO { aio in
            result = aio.result
            done.signal()
        }
        XCTAssertTrue(context.receive(aio: aio))
        nngSleep(for: .milliseconds(20))
        socket.close()
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success, "receive did not complete")
        XCTAssertEqual(result?.code, .closed)
        XCTAssertEqual(result?.operation, "ctx recv")
        XCTAssertNil(aio.takeMessage())
        aio.close()
        context.close()
        context.close()
        XCTAssertFalse(context.receive(aio: aio), "a closed AIO starts nothing")
    }

    func testClosingTheContextCompletesAPendingReceiveWithClosed() throws {
        let socket = try Socket.replier()
        defer { socket.close() }
        try socket.listen(TestAddresses.inproc())
        let context = try Context(socket: socket)
        let aio = try AIO()
        defer { aio.close() }
        XCTAssertTrue(context.receive(aio: aio))
        context.close()
        aio.wait()
        XCTAssertEqual(aio.result?.code, .closed)
    }

    func testAIOTimeout() throws {
        let socket = try Socket.replier()
        defer { socket.close() }
        try socket.listen(TestAddresses.inproc())
        let context = try Context(socket: socket)
        let aio = try AIO()
        defer { aio.close() }
        aio.setTimeout(.milliseconds(50))
        let start = ContinuousClock.now
        XCTAssertTrue(context.receive(aio: aio))
        aio.wait()
        XCTAssertEqual(aio.result?.code, .timedOut)
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(3))
    }

    /// `client` sends `bytes`; `context` receives them through `aio` into `message`.
    private func receiveRequest(_ bytes: [UInt8], from client: Socket, on context: Context, aio: AIO, into message: Message,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        try client.send(bytes)
        context.receive(aio: aio)
        aio.wait()
        XCTAssertNil(aio.result, file: file, line: line)
        XCTAssertTrue(aio.takeMessage(into: message), file: file, line: line)
    }

    func testContextRoundTripWithWait() throws {
        let (socket, client, _) = try pair(listening: TestAddresses.inproc())
        let context = try Context(socket: socket)
        let aio = try AIO()
        defer { aio.close() }
        aio.setTimeout(.seconds(5))

        let message = Message()
        try receiveRequest([1, 2, 3], from: client, on: context, aio: aio, into: message)
        XCTAssertEqual(message.bytes, [1, 2, 3])
        try message.append([4])
        XCTAssertTrue(context.send(message, aio: aio))
        XCTAssertEqual(message.count, 0, "the message moved into the AIO")
        aio.wait()
        XCTAssertNil(aio.result)
        XCTAssertNil(aio.takeMessage(), "NNG owns a sent message")
        XCTAssertEqual(try client.receiveBytes(), [1, 2, 3, 4])
    }

    func testFailedContextSendReturnsTheMessageThroughTheAIO() throws {
        let socket = try Socket.replier()
        defer { socket.close() }
        let context = try Context(socket: socket)
        let aio = try AIO()
        defer { aio.close() }
        let message = try Message(bytes: [5, 6])
        XCTAssertTrue(context.send(message, aio: aio))  // no request to answer
        aio.wait()
        XCTAssertEqual(aio.result?.code, .badState)
        XCTAssertEqual(aio.result?.operation, "ctx send")
        XCTAssertTrue(aio.takeMessage(into: message))
        XCTAssertEqual(message.bytes, [5, 6])
    }

    /// What `AnnServer` relies on: a REP send on an idle connection through an AIO without a
    /// callback has completed when `send` returns (`count` is the length), and the AIO can
    /// send again after the next request without freeing the message NNG took.
    func testSendWithoutCallbackCompletesAtOnceOnAnIdleConnection() throws {
        let (socket, client, _) = try pair()
        let context = try Context(socket: socket)
        let receiver = try AIO()
        let sender = try AIO()
        defer { receiver.close(); sender.close() }
        receiver.setTimeout(.seconds(5))
        let message = Message()
        for round in 0..<3 {
            try receiveRequest([UInt8(round), 1, 2], from: client, on: context, aio: receiver, into: message)
            XCTAssertEqual(sender.count, round == 0 ? 0 : 4, "before the send: the last send's count")
            try message.append([9])
            XCTAssertTrue(context.send(message, aio: sender))
            XCTAssertEqual(sender.count, 4, "round \(round): completed inside send")
            sender.wait()
            XCTAssertNil(sender.result)
            XCTAssertNil(sender.takeMessage(), "NNG owns a sent message")
            XCTAssertEqual(try client.receiveBytes(), [UInt8(round), 1, 2, 9])
        }
    }
}
