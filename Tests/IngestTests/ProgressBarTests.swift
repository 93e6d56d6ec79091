import XCTest
@testable import Ingest

final class ProgressBarTests: XCTestCase {
    final class Output {
        var frames: [String] = []
        var time = 0.0
    }

    func testNothingWhenNotATerminal() {
        let out = Output()
        let bar = ProgressBar(label: "x", totalBytes: 100, isTerminal: false, write: { out.frames.append($0) }, now: { out.time })
        for k in 0..<10 {
            out.time += 1
            bar.update(bytes: Int64(k * 10), rows: k)
        }
        bar.finish()
        XCTAssertEqual(out.frames, [])
    }

    func testRateLimitedFramesAndClearingFinish() {
        let out = Output()
        let bar = ProgressBar(label: "items", totalBytes: 1000, isTerminal: true, write: { out.frames.append($0) }, now: { out.time })
        out.time = 2
        bar.update(bytes: 250, rows: 5000)
        out.time = 2.05
        bar.update(bytes: 260, rows: 5100)  // too soon: dropped
        out.time = 4
        bar.update(bytes: 500, rows: 10000)
        bar.finish()
        XCTAssertEqual(out.frames, [
            "\r\u{1B}[Kitems  25.0%  5,000 rows  2,500 rows/s  ETA 0:06",
            "\r\u{1B}[Kitems  50.0%  10,000 rows  2,500 rows/s  ETA 0:04",
            "\r\u{1B}[K",
        ])
    }

    func testRenderWithoutTotalAndLongETA() {
        XCTAssertEqual(ProgressBar.render(label: "p", bytes: 5, totalBytes: 0, rows: 1_234_567, elapsed: 1), "p  1,234,567 rows  1,234,567 rows/s")
        XCTAssertEqual(ProgressBar.render(label: "p", bytes: 1, totalBytes: 10_000, rows: 1, elapsed: 1), "p  0.0%  1 rows  1 rows/s  ETA 2:46:39")
    }
}
