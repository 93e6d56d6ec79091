import Dispatch
import Foundation

/// A fixed set of threads taking jobs from one FIFO queue. Each thread owns a
/// `WorkerScratch` (made once, on that thread's behalf) and hands it to every job it runs.
/// Idle threads release their read snapshots before they sleep. The server sends it the
/// requests whose cost the client controls (recommend, similar, batch, filtered or wide
/// search) and, with one thread, the writes; a hand-off costs a thread wake-up, so short reads
/// are answered where they arrive instead (`RequestHandler.route`).
///
/// A job goes to the thread that went idle last (a stack, not a shared condition that wakes
/// whichever sleeper): under light load the same few threads answer, with their retriever,
/// ranker buffers and snapshot still in cache. Measured on 16 cores (bench/RESULTS.md): 2
/// workers served recommend at concurrency 2 with 8-18% less CPU per request and a lower p99
/// than 16 taking turns.
final class WorkerPool<Job>: @unchecked Sendable {
    private let lock = NSLock()
    private var queue: [Job?] = []
    private var head = 0
    private var stopping = false
    private var running = 0
    private let finished = DispatchSemaphore(value: 0)
    /// Idle threads by index, the last to go idle on top.
    private var idle: [Int] = []
    /// A job handed to an idle thread (set under `lock` before its semaphore is signalled).
    private var handed: [Job?]
    private let wake: [DispatchSemaphore]
    private let run: (Job, WorkerScratch) -> Void

    /// Starts `count` threads named `name-i`.
    init(name: String, count: Int, makeScratch: () -> WorkerScratch, run: @escaping (Job, WorkerScratch) -> Void) {
        self.run = run
        handed = Array(repeating: nil, count: count)
        wake = (0..<count).map { _ in DispatchSemaphore(value: 0) }
        idle.reserveCapacity(count)
        running = count  // before any thread starts: no lock needed yet
        var threads: [Thread] = []
        for i in 0..<count {
            let scratch = makeScratch()
            let thread = Thread { [unowned self] in self.loop(i, scratch) }
            thread.name = "\(name)-\(i)"
            thread.stackSize = 1 << 20
            threads.append(thread)
        }
        for thread in threads { thread.start() }
    }

    /// Queues a job (or hands it to the thread idle the shortest time); false once the pool
    /// is stopping.
    @discardableResult
    func submit(_ job: Job) -> Bool {
        lock.lock()
        guard !stopping else {
            lock.unlock()
            return false
        }
        if let w = idle.popLast() {
            handed[w] = job
            lock.unlock()
            wake[w].signal()
        } else {
            queue.append(job)
            lock.unlock()
        }
        return true
    }

    /// Threads asleep waiting for a job.
    var idleThreads: Int {
        lock.lock()
        defer { lock.unlock() }
        return idle.count
    }

    /// Lets the queued jobs finish, then ends the threads and waits for them (up to `timeout`).
    func stop(timeout: TimeInterval = 10) {
        lock.lock()
        stopping = true
        let sleepers = idle
        idle.removeAll()
        let count = running
        lock.unlock()
        for w in sleepers { wake[w].signal() }
        let deadline = DispatchTime.now() + timeout
        for _ in 0..<count {
            if finished.wait(timeout: deadline) == .timedOut { break }
        }
    }

    /// The next job of thread `w`: the queue's head, or one handed to it after it slept.
    private func next(_ w: Int, _ scratch: WorkerScratch) -> Job? {
        lock.lock()
        if head < queue.count {
            let job = queue[head].take()
            head += 1
            if head > 1024 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            lock.unlock()
            return job
        }
        if stopping {
            lock.unlock()
            return nil
        }
        idle.append(w)
        lock.unlock()
        scratch.idle()
        wake[w].wait()
        lock.lock()
        defer { lock.unlock() }
        return handed[w].take()  // nil: woken to stop
    }

    private func loop(_ w: Int, _ scratch: WorkerScratch) {
        // Warm up: the retriever, ranking session and snapshot are made before the first request.
        _ = try? scratch.prepare()
        while let job = next(w, scratch) {
            run(job, scratch)
        }
        scratch.release()
        lock.lock()
        running -= 1
        lock.unlock()
        finished.signal()
    }
}
