import Dispatch
import Logging
import Store
import VectorIndex
import VectorMath
import Wire

/// Answers one request message: decode, check limits, dispatch by op, encode the reply in
/// the request's encoding. Queries run on the calling worker with its scratch; upsert and
/// delete are handed back to the caller to run on the single writer. Every failure becomes
/// an error reply (and one log line); nothing a client sends can make it trap.
final class RequestHandler: @unchecked Sendable {
    /// What the WORK step does next.
    enum Outcome {
        /// Send these bytes.
        case reply([UInt8])
        /// Run this write on the writer, then reply in `encoding`.
        case write(Ann_V1_Request, WireEncoding)
    }

    unowned let core: ServingCore
    var limits: ServerLimits { core.configuration.limits }
    var logger: Logger { core.logger }

    init(core: ServingCore) {
        self.core = core
    }

    /// Clock for latencies (monotonic, nanoseconds).
    @inline(__always)
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// The WORK step for one received message. `receivedAt` is `now()` at receipt.
    func process(_ bytes: UnsafeRawBufferPointer, scratch: WorkerScratch, receivedAt: UInt64) -> Outcome {
        let encoding = WireEncoding.of(bytes)
        let request: Ann_V1_Request
        do {
            try limits.check("message size in bytes", bytes.count, max: limits.maxMessageBytes)
            (request, _) = try WireCodec.decodeRequest(bytes)
        } catch {
            // Unread: echo the id if it can be seen without decoding.
            let failure = ServerError.classify(error)
            let reply = self.failure(requestID: WireCodec.peekRequestID(bytes) ?? 0, op: .invalid, failure)
            scratch.metrics.record(.invalid, failure.code, seconds: Self.seconds(since: receivedAt))
            return .reply(encode(reply, encoding))
        }
        switch request.op {
        case .upsert, .delete:
            if core.configuration.readOnly {
                let failure = ServerError.badRequest("this server is read-only (annctl serve --read-only)")
                let reply = self.failure(requestID: request.requestID, op: ServerOp(request.op), failure)
                scratch.metrics.record(ServerOp(request.op), failure.code, seconds: Self.seconds(since: receivedAt))
                return .reply(encode(reply, encoding))
            }
            return .write(request, encoding)
        default:
            let reply = answer(request, scratch: scratch)
            scratch.metrics.record(ServerOp(request.op), reply.error.code, seconds: Self.seconds(since: receivedAt))
            return .reply(encode(reply, encoding))
        }
    }

    /// Runs a write (on the writer thread) and encodes its reply.
    func processWrite(_ request: Ann_V1_Request, encoding: WireEncoding, scratch: WorkerScratch, receivedAt: UInt64) -> [UInt8] {
        let reply = answer(request, scratch: scratch)
        scratch.metrics.record(ServerOp(request.op), reply.error.code, seconds: Self.seconds(since: receivedAt))
        return encode(reply, encoding)
    }

    static func seconds(since start: UInt64) -> Double {
        Double(now() &- start) * 1e-9
    }

    /// The reply to a decoded request (any op; writes run here too when called in-process).
    func answer(_ request: Ann_V1_Request, scratch: WorkerScratch) -> Ann_V1_Reply {
        var reply = Ann_V1_Reply()
        reply.requestID = request.requestID
        do {
            switch request.op {
            case .search(let r): reply.results = try search(r, scratch: scratch)
            case .recommend(let r): reply.results = try recommend(r, scratch: scratch)
            case .similar(let r): reply.results = try similar(r, scratch: scratch)
            case .batch(let r): reply.batch = try batch(r, scratch: scratch)
            case .upsert(let r): reply.write = try core.writes.upsert(r)
            case .delete(let r): reply.write = try core.writes.delete(r)
            case .stats: reply.stats = try stats(scratch: scratch)
            case .health: reply.health = try health(scratch: scratch)
            case nil:
                throw ServerError.badRequest("the request names no operation (search, recommend, similar, batch, upsert, delete, stats, health)")
            }
        } catch {
            return failure(requestID: request.requestID, op: ServerOp(request.op), ServerError.classify(error))
        }
        return reply
    }

    /// An error reply, logged on one line.
    func failure(requestID: UInt64, op: ServerOp, _ error: ServerError) -> Ann_V1_Reply {
        let line: Logger.Message = "request \(requestID) \(op.name): \(error.code.name): \(error.description)"
        if error.code == .internal { logger.error(line) } else { logger.notice(line) }
        return .failure(requestID: requestID, code: error.code, message: error.description)
    }

    func encode(_ reply: Ann_V1_Reply, _ encoding: WireEncoding) -> [UInt8] {
        do {
            return try WireCodec.encode(reply, as: encoding)
        } catch {
            let fallback = failure(requestID: reply.requestID, op: .invalid, .internalError("\(error)"))
            return (try? WireCodec.encode(fallback, as: encoding)) ?? []
        }
    }

    // MARK: batch, stats, health

    func batch(_ r: Ann_V1_BatchRequest, scratch: WorkerScratch) throws -> Ann_V1_BatchReply {
        try limits.check("batch size", r.requests.count, max: limits.maxBatch)
        var out = Ann_V1_BatchReply()
        out.replies.reserveCapacity(r.requests.count)
        for (i, sub) in r.requests.enumerated() {
            switch sub.op {
            case .search, .recommend, .similar:
                out.replies.append(answer(sub, scratch: scratch))
            default:
                out.replies.append(failure(requestID: sub.requestID, op: ServerOp(sub.op), .badRequest(
                    "batch.requests[\(i)] is \(sub.opName): only search, recommend and similar may be batched")))
            }
        }
        return out
    }

    func stats(scratch: WorkerScratch) throws -> Ann_V1_StatsReply {
        let reader = try scratch.prepare()
        let g = scratch.generation!
        let counts = try reader.counts()
        var s = Ann_V1_StatsReply()
        s.index = g.summary
        s.items = UInt64(counts.items)
        s.users = UInt64(counts.users)
        s.itemVectors = UInt64(counts.itemVectors)
        s.userVectors = UInt64(counts.userVectors)
        s.writeSequence = counts.writeSequence
        s.generation = g.number
        s.uptimeSeconds = Self.seconds(since: core.startedAt)
        s.workers = UInt32(clamping: core.configuration.workers)
        s.contexts = UInt32(clamping: core.configuration.contexts)
        s.dimension = UInt32(clamping: g.meta?.dimension ?? 0)
        s.metric = g.meta?.metric.rawValue ?? ""
        s.ops = ServerMetrics.summary(of: core.metrics)
        s.cpuSeconds = ProcessCPU.seconds()
        s.ranking = core.configuration.recommendHandler.summary
        return s
    }

    func health(scratch: WorkerScratch) throws -> Ann_V1_HealthReply {
        if core.isStopping { throw ServerError.notReady("the server is shutting down") }
        let reader = try scratch.prepare()
        let g = scratch.generation!
        guard let meta = g.meta else { throw ServerError.notReady("the store holds no data yet (import or upsert vectors)") }
        var h = Ann_V1_HealthReply()
        h.status = "serving"
        h.index = g.summary
        h.writeSequence = try reader.counts().writeSequence
        h.dimension = UInt32(meta.dimension)
        h.ranking = core.configuration.recommendHandler.summary
        return h
    }
}
