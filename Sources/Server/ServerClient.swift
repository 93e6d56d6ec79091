import NNG
import Wire

/// A synchronous ann.v1 client over one NNG REQ socket (one request at a time; use one
/// client per thread). For `annctl query --server`, `annctl stats`, `annctl load` and tests.
public final class ServerClient {
    /// Why a call failed on the client side (a server's error reply is not thrown: read
    /// `Ann_V1_Reply.error`).
    public enum Failure: Error, CustomStringConvertible {
        case transport(NNGError)
        case mismatchedReply(expected: UInt64, got: UInt64)
        case undecodable(WireError)

        public var description: String {
            switch self {
            case .transport(let e): return e.code == .timedOut ? "no reply in time (\(e))" : e.description
            case let .mismatchedReply(expected, got): return "reply to request \(got) while waiting for \(expected)"
            case .undecodable(let e): return e.description
            }
        }
    }

    public let url: String
    private let socket: Socket
    private var nextID: UInt64 = 1

    /// Dials `url` (failing at once if nothing listens there); every call waits at most
    /// `timeout` for its reply.
    public init(url: String, timeout: Duration = .seconds(10)) throws {
        self.url = url
        socket = try Socket.requester()
        do {
            try socket.setReceiveTimeout(timeout)
            try socket.setSendTimeout(timeout)
            try socket.setRequestResendTime(nil)
            try socket.dial(url)
        } catch let e as NNGError {
            socket.close()
            throw Failure.transport(e)
        }
    }

    deinit { socket.close() }

    /// Sends `request` (binary; a request id is assigned when it has none) and returns the reply.
    public func call(_ request: Ann_V1_Request) throws -> Ann_V1_Reply {
        var request = request
        if request.requestID == 0 {
            request.requestID = nextID
            nextID += 1
        }
        let bytes = try WireCodec.encode(request, as: .binary)
        let reply: Ann_V1_Reply
        do {
            reply = try exchange(bytes).withUnsafeBytes { try WireCodec.decodeReply($0) }
        } catch let e as WireError {
            throw Failure.undecodable(e)
        }
        // An error reply to a message the server could not read may carry id 0.
        guard reply.requestID == request.requestID || (reply.requestID == 0 && reply.isFailure) else {
            throw Failure.mismatchedReply(expected: request.requestID, got: reply.requestID)
        }
        return reply
    }

    /// Sends raw bytes and returns the raw reply (tests, the load generator).
    public func exchange(_ bytes: [UInt8]) throws -> [UInt8] {
        do {
            try socket.send(bytes)
            return try socket.receiveBytes()
        } catch let e as NNGError {
            throw Failure.transport(e)
        }
    }

    /// Closes the socket.
    public func close() { socket.close() }
}
