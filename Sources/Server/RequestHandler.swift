import Dispatch
import Logging
import Store
import VectorIndex
import VectorMath
import Wire

/// Answers one request message: decode, check limits, dispatch by op, encode the reply in
/// the request's encoding. Queries run on the calling thread with its scratch; `route` says
/// which thread that should be (inline, pool, writer); upsert and delete are handed back to
/// the caller to run on the single writer. Every failure becomes
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

    /// A received message after decoding.
    enum Decoded {
        /// Unreadable or refused: send these bytes (the error reply, already recorded).
        case reply([UInt8])
        /// A request and the encoding to answer in.
        case request(Ann_V1_Request, WireEncoding)
    }

    /// Where a decoded request runs (see `route(_:scratch:)`).
    enum Route {
        /// On the thread that received it (an NNG callback): short reads of bounded cost.
        case inline
        /// On the worker pool: queries whose cost the request controls.
        case pool
        /// On the single writer: upsert and delete.
        case writer
    }

    /// Exact-scan work (rows x dimension) up to which a flat-index search counts as short.
    static let inlineFlatComponents = 1 << 20

    /// The WORK step for one received message. `receivedAt` is `now()` at receipt.
    func process(_ bytes: UnsafeRawBufferPointer, scratch: WorkerScratch, receivedAt: UInt64) -> Outcome {
        switch decode(bytes, scratch: scratch, receivedAt: receivedAt) {
        case .reply(let reply):
            return .reply(reply)
        case let .request(request, encoding):
            if Self.isWrite(request) { return .write(request, encoding) }
            return .reply(respond(request, encoding: encoding, scratch: scratch, receivedAt: receivedAt))
        }
    }

    /// Decodes one message and checks its size and, for writes, that writes are allowed;
    /// a failure is recorded in `scratch`'s metrics and answered with an error reply.
    func decode(_ bytes: UnsafeRawBufferPointer, scratch: WorkerScratch, receivedAt: UInt64) -> Decoded {
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
        if Self.isWrite(request) && core.configuration.readOnly {
            let failure = ServerError.badRequest("this server is read-only (annctl serve --read-only)")
            let reply = self.failure(requestID: request.requestID, op: ServerOp(request.op), failure)
            scratch.metrics.record(ServerOp(request.op), failure.code, seconds: Self.seconds(since: receivedAt))
            return .reply(encode(reply, encoding))
        }
        return .request(request, encoding)
    }

    static func isWrite(_ request: Ann_V1_Request) -> Bool {
        switch request.op {
        case .upsert, .delete: return true
        default: return false
        }
    }

    /// Answers a decoded request (a query on a worker or NNG's thread, a write on the writer
    /// thread), records it and encodes the reply.
    func respond(_ request: Ann_V1_Request, encoding: WireEncoding, scratch: WorkerScratch, receivedAt: UInt64) -> [UInt8] {
        let reply = answer(request, scratch: scratch)
        scratch.metrics.record(ServerOp(request.op), reply.error.code, seconds: Self.seconds(since: receivedAt))
        return encode(reply, encoding)
    }

    /// Where `request` runs. Inline (on the receiving NNG thread, no thread switch) only when
    /// its cost is bounded by the configuration, not by the request: `stats`, `health`, and
    /// an unfiltered `search` with k and ef within `inlineSearchBreadth` on an HNSW index, or
    /// on a flat index of at most `inlineFlatComponents` rows x dimension. Everything else
    /// whose cost a client chooses (recommend, similar, batch, filters, IVF probes, big ef)
    /// goes to the worker pool, so NNG's threads are never held for long.
    func route(_ request: Ann_V1_Request, scratch: WorkerScratch) -> Route {
        let breadth = core.configuration.inlineSearchBreadth
        switch request.op {
        case .upsert, .delete:
            return .writer
        case .stats, .health:
            return breadth > 0 ? .inline : .pool
        case .search(let r):
            guard breadth > 0, !r.hasFilter, r.features.isEmpty, Int(r.k) <= breadth, Int(r.ef) <= breadth,
                  let index = core.box.generation.index else { return .pool }
            switch index.kind {
            case .hnsw:
                return .inline
            case .flat:
                guard let reader = try? scratch.prepare(), let rows = try? reader.counts().itemVectors else { return .pool }
                return rows * index.dimension <= Self.inlineFlatComponents ? .inline : .pool
            case .ivf:
                return .pool
            }
        default:
            return .pool
        }
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
        h.writeSequence = try reader.writeSequence()
        h.dimension = UInt32(meta.dimension)
        h.ranking = core.configuration.recommendHandler.summary
        return h
    }
}
