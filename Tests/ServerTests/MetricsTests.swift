import Server
import Wire
import XCTest

final class MetricsTests: XCTestCase {
    func testBucketsAndQuantilesAgainstSortedValues() {
        var h = LatencyHistogram()
        var values: [Double] = []
        var x = 0.000_013
        for i in 0..<5000 {
            x = x * 1.0007 + Double(i % 7) * 1e-7
            values.append(x)
            h.record(seconds: x)
        }
        values.sort()
        XCTAssertEqual(h.count, 5000)
        XCTAssertEqual(h.sumSeconds, values.reduce(0, +), accuracy: 1e-9)
        XCTAssertEqual(h.maxSeconds, values.last!)
        for q in [0.5, 0.9, 0.99, 0.999] {
            let exact = values[Int((q * 5000).rounded(.up)) - 1]
            XCTAssertEqual(h.quantile(q), exact, accuracy: exact * 0.2, "q \(q)")
        }
        XCTAssertEqual(LatencyHistogram.bucket(seconds: 0), 0)
        XCTAssertEqual(LatencyHistogram.bucket(seconds: 16e-6), 16)
        XCTAssertEqual(LatencyHistogram.bucket(seconds: 16.1e-6), 17)
        XCTAssertEqual(LatencyHistogram.bucket(seconds: 1e9), LatencyHistogram.bucketCount - 1)
        XCTAssertEqual(LatencyHistogram.upperBound(16), 16e-6, accuracy: 1e-15)
        XCTAssertEqual(LatencyHistogram().quantile(0.5), 0)
    }

    func testMergeAndTrim() {
        var a = LatencyHistogram()
        var b = LatencyHistogram()
        a.record(seconds: 1e-3)
        b.record(seconds: 2e-3)
        b.record(seconds: 4e-3)
        a.merge(b)
        XCTAssertEqual(a.count, 3)
        XCTAssertEqual(a.maxSeconds, 4e-3)
        XCTAssertEqual(a.trimmedBuckets.count, LatencyHistogram.bucket(seconds: 4e-3) + 1)
        let rebuilt = LatencyHistogram(buckets: a.trimmedBuckets, sumSeconds: a.sumSeconds, maxSeconds: a.maxSeconds)
        XCTAssertEqual(rebuilt, a)
    }

    func testPrometheusText() {
        var stats = Ann_V1_StatsReply()
        stats.index = #"flat "x""#
        stats.items = 10
        stats.cpuSeconds = 1.5
        var op = Ann_V1_OpStats()
        op.op = "search"
        op.status = "ok"
        op.count = 3
        op.sumSeconds = 0.003
        op.p50Ms = 1
        op.p99Ms = 1.5
        var buckets = [UInt64](repeating: 0, count: 41)
        buckets[17] = 1  // up to ~19 µs
        buckets[40] = 2  // up to 1.024 ms
        op.buckets = buckets
        stats.ops = [op]
        let text = PrometheusFormat.render(stats)
        XCTAssertTrue(text.contains(#"ann_up{index="flat \"x\""} 1"#), text)
        XCTAssertTrue(text.contains("# TYPE ann_request_duration_seconds histogram\n"))
        XCTAssertTrue(text.contains(#"ann_request_duration_seconds_bucket{op="search",status="ok",le="1.6e-05"} 0"#), text)
        XCTAssertTrue(text.contains(#"ann_request_duration_seconds_bucket{op="search",status="ok",le="2e-05"} 1"#) ||
                      text.contains(#"ann_request_duration_seconds_bucket{op="search",status="ok",le="3.2e-05"} 1"#), text)
        XCTAssertTrue(text.contains(#"ann_request_duration_seconds_bucket{op="search",status="ok",le="0.001024"} 3"#), text)
        XCTAssertTrue(text.contains(#"ann_request_duration_seconds_count{op="search",status="ok"} 3"#), text)
        XCTAssertTrue(text.contains(#"ann_request_latency_p99_seconds{op="search",status="ok"} 0.0015"#), text)
        XCTAssertTrue(text.contains("ann_items 10\n"))
        XCTAssertTrue(text.contains("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.5\n"), text)
    }
}
