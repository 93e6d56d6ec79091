import Foundation
@testable import Server
import XCTest

/// The worker pool: every job runs once, a job goes to the thread idle the shortest time, and
/// stopping lets queued jobs finish.
final class WorkerPoolTests: XCTestCase {
    var fixture: ServerFixture!

    override func tearDown() { fixture?.tearDown() }

    /// Records which scratch (thread) ran each job.
    final class Log: @unchecked Sendable {
        let lock = NSLock()
        var runs: [(job: Int, scratch: ObjectIdentifier)] = []
        func add(_ job: Int, _ scratch: WorkerScratch) {
            lock.lock()
            runs.append((job, ObjectIdentifier(scratch)))
            lock.unlock()
        }
    }

    func testSequentialJobsStayOnTheLastIdleThread() throws {
        fixture = try ServerFixture()
        let core = fixture.server.core
        let log = Log()
        let done = DispatchSemaphore(value: 0)
        let pool = WorkerPool<Int>(name: "test", count: 8, makeScratch: core.makeScratch) { job, scratch in
            log.add(job, scratch)
            done.signal()
        }
        defer { pool.stop() }
        func allIdle() {
            let deadline = Date(timeIntervalSinceNow: 10)
            while pool.idleThreads < 8 && Date() < deadline { Thread.sleep(forTimeInterval: 0.0002) }
        }
        for job in 0..<50 {
            allIdle()  // the last thread is back on top of the idle stack
            XCTAssertTrue(pool.submit(job))
            XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        }
        XCTAssertEqual(log.runs.map(\.job), Array(0..<50))
        // A shared condition wakes whichever sleeper: 8 threads would take turns.
        XCTAssertEqual(Set(log.runs.dropFirst().map(\.scratch)).count, 1, "one thread answers a sequential client")
    }

    func testEveryJobRunsOnceAndStopFinishesTheQueue() throws {
        fixture = try ServerFixture()
        let core = fixture.server.core
        let log = Log()
        let pool = WorkerPool<Int>(name: "test", count: 3, makeScratch: core.makeScratch) { job, scratch in
            Thread.sleep(forTimeInterval: 0.0005)
            log.add(job, scratch)
        }
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            for j in 0..<250 { XCTAssertTrue(pool.submit(t * 1000 + j)) }
        }
        pool.stop(timeout: 30)
        XCTAssertFalse(pool.submit(-1), "a stopped pool takes no job")
        let jobs = log.runs.map(\.job).sorted()
        XCTAssertEqual(jobs, (0..<4).flatMap { t in (0..<250).map { t * 1000 + $0 } }.sorted())
        XCTAssertGreaterThan(Set(log.runs.map(\.scratch)).count, 1, "a queue of 1,000 jobs keeps several threads busy")
    }
}
