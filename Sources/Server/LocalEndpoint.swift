import VectorMath
import Wire

/// The server's request pipeline without NNG and without encoding: the same handler, limits,
/// retrievers, ranking and single writer as `AnnServer`, called in-process. It measures what
/// the transport and the protocol add (`annctl load --in-process`) and serves tools that
/// want answers without a socket.
public final class LocalEndpoint: @unchecked Sendable {
    let core: ServingCore

    public init(configuration: ServerConfiguration) throws {
        BLAS.setThreads(1)
        core = try ServingCore(configuration: configuration)
    }

    /// A session for one thread (its own retriever, snapshot and metrics).
    public func makeSession() -> Session {
        Session(core: core, scratch: core.makeScratch())
    }

    /// One thread's access to the pipeline.
    public final class Session {
        let core: ServingCore
        let scratch: WorkerScratch

        init(core: ServingCore, scratch: WorkerScratch) {
            self.core = core
            self.scratch = scratch
        }

        deinit { scratch.release() }

        /// The reply to `request`, as the server would send it (before encoding).
        public func answer(_ request: Ann_V1_Request) -> Ann_V1_Reply {
            let start = RequestHandler.now()
            let reply = core.handler.answer(request, scratch: scratch)
            scratch.metrics.record(ServerOp(request.op), reply.error.code, seconds: RequestHandler.seconds(since: start))
            return reply
        }

        /// Decode, answer and encode, as the server's WORK step does.
        public func answer(bytes: [UInt8]) -> [UInt8] {
            let outcome = bytes.withUnsafeBytes { core.handler.process($0, scratch: scratch, receivedAt: RequestHandler.now()) }
            switch outcome {
            case .reply(let reply): return reply
            case let .write(request, encoding):
                return core.handler.respond(request, encoding: encoding, scratch: scratch, receivedAt: RequestHandler.now())
            }
        }
    }
}
