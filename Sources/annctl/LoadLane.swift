import Dispatch
import NNG
import TestSupport
import Wire

/// One closed-loop connection of `annctl load --server`, driven by NNG callbacks instead of
/// a thread: the reply's callback (on the NNG thread that read it) records the latency and
/// sends the next request at once. A blocking client would need one more thread switch per
/// request (NNG's thread waking the client thread), and the load generator shares the cores
/// with the server it measures. Requests are preencoded; per request it allocates only
/// NNG's message. The reply is not decoded, only its error code read (`ReplyPeek.errorCode(of:)`).
final class LoadLane: @unchecked Sendable {
    private let pool: RequestPool
    private let lane: LoadRun.Lane
    private let socket: Socket
    private let context: Context
    private var receiver: AIO!
    private let sender: AIO
    private let message = Message()
    private var random: SeededRandom
    private var n: Int
    private var sentAt: UInt64 = 0
    private let measureFrom: UInt64
    private let stopAt: UInt64
    private let done = DispatchSemaphore(value: 0)

    init(url: String, timeout: Double, pool: RequestPool, lane: LoadRun.Lane, seed: UInt64, measureFrom: UInt64, stopAt: UInt64) throws {
        self.pool = pool
        self.lane = lane
        self.measureFrom = measureFrom
        self.stopAt = stopAt
        random = SeededRandom(seed: seed)
        n = random.next(below: 1 << 20)
        socket = try Socket.requester()
        try socket.setRequestResendTime(nil)
        try socket.dial(url)
        context = try Context(socket: socket)
        sender = try AIO()
        sender.setTimeout(.milliseconds(Int(timeout * 1000)))
        receiver = try AIO { [unowned self] aio in self.received(aio) }
        receiver.setTimeout(.milliseconds(Int(timeout * 1000)))
        lane.latencies.reserveCapacity(1 << 16)
    }

    /// Runs the loop until `stopAt`; returns when the last reply came (or failed).
    func run() {
        sendNext()
        done.wait()
        receiver.close()
        sender.close()
        context.close()
        socket.close()
    }

    private func sendNext() {
        let now = DispatchTime.now().uptimeNanoseconds
        guard now < stopAt else { done.signal(); return }
        let op = pool.pick(&random)
        n += 1
        let bytes = pool.encoded[op][n % pool.encoded[op].count]
        do {
            message.clear()
            try message.append(bytes)
        } catch {
            lane.failure = error
            done.signal()
            return
        }
        sentAt = now
        // A REQ send completes as soon as NNG has queued it on the connection.
        guard context.send(message, aio: sender) else { done.signal(); return }
        sender.wait()
        if sender.result != nil {
            sender.takeMessage(into: message)
            lane.transportErrors += 1
            sendNext()
            return
        }
        if !context.receive(aio: receiver) { done.signal() }
    }

    private func received(_ aio: AIO) {
        let now = DispatchTime.now().uptimeNanoseconds
        if aio.result != nil {
            lane.transportErrors += 1
        } else {
            aio.takeMessage(into: message)
            let code = message.withBody { ReplyPeek.errorCode(of: $0) }
            if sentAt >= measureFrom && now <= stopAt {
                lane.latencies.append(Double(now - sentAt) * 1e-9)
                if code != .ok { lane.errors[code.map { $0.name } ?? "UNDECODABLE", default: 0] += 1 }
            }
        }
        sendNext()
    }
}
