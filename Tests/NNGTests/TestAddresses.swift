import Foundation
import NNG
import XCTest

/// Loopback addresses for tests: fresh inproc names, ipc paths in a temporary directory.
enum TestAddresses {
    static func inproc() -> String { "inproc://nng-tests-\(UUID().uuidString)" }

    /// An ipc URL in a new temporary directory; the directory is removed at test end.
    static func ipc(_ testCase: XCTestCase) throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("nng-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return "ipc://\(dir.path)/socket"
    }

    /// Listens on an ephemeral loopback TCP port; returns the URL with the bound port.
    @discardableResult
    static func listenTCP(_ socket: Socket) throws -> String {
        let port = try socket.listen("tcp://127.0.0.1:0").boundPort()
        return "tcp://127.0.0.1:\(port)"
    }
}

/// Asserts that `body` throws an `NNGError` with `code`.
func assertNNGError<T>(
    _ code: NNGError.Code, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
) {
    do {
        _ = try body()
        XCTFail("expected NNGError \(code), got success", file: file, line: line)
    } catch let error as NNGError {
        XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
    } catch {
        XCTFail("expected NNGError \(code), got \(error)", file: file, line: line)
    }
}

extension XCTestCase {
    /// A REP/REQ pair connected over `url` (the server listens, the client dials), with
    /// timeouts so no test can hang.
    func pair(listening url: String? = nil) throws -> (server: Socket, client: Socket, url: String) {
        let server = try Socket.replier(), client = try Socket.requester()
        addTeardownBlock { client.close(); server.close() }
        for socket in [server, client] {
            try socket.setReceiveTimeout(.seconds(5))
            try socket.setSendTimeout(.seconds(5))
        }
        let bound: String
        if let url { try server.listen(url); bound = url } else { bound = try TestAddresses.listenTCP(server) }
        try client.dial(bound)
        return (server, client, bound)
    }
}
