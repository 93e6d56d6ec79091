import Foundation

/// A fixed set of threads taking jobs from one FIFO queue. Each thread owns a
/// `WorkerScratch` (made once, on that thread's behalf) and hands it to every job it runs.
/// Idle threads release their read snapshots before they sleep. The server sends it the
/// requests whose cost the client controls (recommend, similar, batch, filtered or wide
/// search) and, with one thread, the writes; a hand-off costs a thread wake-up, so short reads
/// are answered where they arrive instead (`RequestHandler.route`).
final class WorkerPool<Job>: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [Job?] = []
    private var head = 0
    private var stopping = false
    private var running = 0
    private var threads: [Thread] = []
    private let run: (Job, WorkerScratch) -> Void

    /// Starts `count` threads named `name-i`.
    init(name: String, count: Int, makeScratch: () -> WorkerScratch, run: @escaping (Job, WorkerScratch) -> Void) {
        self.run = run
        for i in 0..<count {
            let scratch = makeScratch()
            let thread = Thread { [unowned self] in self.loop(scratch) }
            thread.name = "\(name)-\(i)"
            thread.stackSize = 1 << 20
            threads.append(thread)
        }
        condition.lock()
        running = count
        condition.unlock()
        for thread in threads { thread.start() }
    }

    /// Queues a job; false once the pool is stopping.
    @discardableResult
    func submit(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        queue.append(job)
        condition.signal()
        return true
    }

    /// Lets the queued jobs finish, then ends the threads and waits for them (up to `timeout`).
    func stop(timeout: TimeInterval = 10) {
        condition.lock()
        stopping = true
        condition.broadcast()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while running > 0 && condition.wait(until: deadline) {}
        condition.unlock()
    }

    private func next(_ scratch: WorkerScratch) -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count {
            if stopping { return nil }
            scratch.idle()
            condition.wait()
        }
        let job = queue[head].take()
        head += 1
        if head > 1024 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return job
    }

    private func loop(_ scratch: WorkerScratch) {
        // Warm up: the retriever, ranking session and snapshot are made before the first request.
        _ = try? scratch.prepare()
        while let job = next(scratch) {
            run(job, scratch)
        }
        scratch.release()
        condition.lock()
        running -= 1
        condition.broadcast()
        condition.unlock()
    }
}
