import Foundation
import NNG
import XCTest

final class AIOTests: XCTestCase {
    func testSleepCompletesWithSuccessOnACallbackThread() throws {
        let done = DispatchSemaphore(value: 0)
        var result: NNGError? = NNGError(.internalError, operation: "not called")
        let aio = try AIO { aio in
            result = aio.result
            done.signal()
        }
        defer { aio.close() }
        XCTAssertTrue(aio.sleep(for: .milliseconds(10)))
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertNil(result)
    }

    func testStopCancelsThePendingOperationAndRefusesNewOnes() throws {
        let socket = try Socket.replier()
        defer { socket.close() }
        let context = try Context(socket: socket)
        var results: [NNGError.Code?] = []
        let aio = try AIO { aio in results.append(aio.result?.code) }
        XCTAssertTrue(context.receive(aio: aio))
        aio.stop()
        XCTAssertEqual(results, [.canceled], "stop waits for the callback")
        XCTAssertFalse(context.receive(aio: aio))
        let message = try Message(bytes: [1])
        XCTAssertFalse(context.send(message, aio: aio))
        XCTAssertEqual(message.bytes, [1], "a refused send leaves the message with the caller")
        aio.stop()
        aio.close()
        aio.close()
        XCTAssertEqual(aio.result?.code, .closed)
        XCTAssertEqual(results, [.canceled])
    }

    func testCloseFromItsOwnCallbackDoesNotDeadlock() throws {
        let called = DispatchSemaphore(value: 0)
        var restarted: Bool?
        var aio: AIO!
        aio = try AIO { aio in
            aio.close()
            restarted = aio.sleep(for: .milliseconds(1))
            called.signal()
        }
        XCTAssertTrue(aio.sleep(for: .milliseconds(1)))
        XCTAssertEqual(called.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(restarted, false, "a closing AIO starts nothing")
        aio.close()  // from outside, after the background close: idempotent
        XCTAssertEqual(aio.result?.code, .closed)
        aio = nil
    }

    func testDroppingTheLastReferenceInsideTheCallbackIsSafe() throws {
        final class Owner { var aio: AIO? }
        let owner = Owner()
        let called = DispatchSemaphore(value: 0)
        owner.aio = try AIO { [owner] _ in
            owner.aio = nil  // the AIO is freed once the callback returns
            called.signal()
        }
        XCTAssertTrue(owner.aio!.sleep(for: .milliseconds(1)))
        XCTAssertEqual(called.wait(timeout: .now() + 5), .success)
        nngSleep(for: .milliseconds(50))
        XCTAssertNil(owner.aio)
    }

    func testDroppingAnAIOWithAPendingOperationNeverCallsBack() throws {
        let socket = try Socket.replier()
        defer { socket.close() }
        let context = try Context(socket: socket)
        let calls = NSLock()
        var count = 0
        var aio: AIO? = try AIO { _ in calls.withLock { count += 1 } }
        XCTAssertTrue(context.receive(aio: aio!))
        weak let weakAIO = aio
        aio = nil
        XCTAssertNil(weakAIO, "nothing in NNG keeps the AIO alive")
        nngSleep(for: .milliseconds(100))  // the background stop cancels the receive
        socket.close()
        XCTAssertEqual(calls.withLock { count }, 0)
    }

    func testStopFromOutsideWhileCallbacksResubmit() throws {
        // A state machine that keeps re-arming itself; stop() must end it.
        let socket = try Socket.replier()
        defer { socket.close() }
        let context = try Context(socket: socket)
        let counter = NSLock()
        var rounds = 0
        let aio = try AIO { aio in
            counter.withLock { rounds += 1 }
            context.receive(aio: aio)
        }
        aio.setTimeout(milliseconds: 1)
        context.receive(aio: aio)
        let deadline = ContinuousClock.now + .seconds(5)
        while counter.withLock({ rounds }) < 3 && ContinuousClock.now < deadline {
            nngSleep(for: .milliseconds(5))
        }
        aio.stop()
        let stoppedAt = counter.withLock { rounds }
        XCTAssertGreaterThanOrEqual(stoppedAt, 3, "the state machine did not run")
        nngSleep(for: .milliseconds(30))
        XCTAssertEqual(counter.withLock { rounds }, stoppedAt, "no callback after stop() returned")
        aio.close()
    }
}
