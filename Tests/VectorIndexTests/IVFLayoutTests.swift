import VectorIndex
import VectorMath
import XCTest

/// The on-disk codecs of the IVF tables and the int8 kernels, against naive references.
final class IVFLayoutTests: XCTestCase {
    func testPostingListLayoutRoundTrip() throws {
        XCTAssertEqual(IVFPostingList.offsets(count: 0).vectors, 16)
        XCTAssertEqual(IVFPostingList.offsets(count: 3).norms, 32, "ids padded to 16 bytes")
        XCTAssertEqual(IVFPostingList.byteCount(count: 5, dimension: 3, encoding: .float32), 16 + 32 + 32 + 60)
        XCTAssertEqual(IVFPostingList.byteCount(count: 5, dimension: 3, encoding: .int8), 16 + 32 + 32 + 15)
        for encoding in IVFEncoding.allCases {
            let n = 7, d = 5
            let size = IVFPostingList.byteCount(count: n, dimension: d, encoding: encoding)
            let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
            defer { raw.deallocate() }
            raw.initializeMemory(as: UInt8.self, repeating: 0xAB)
            IVFPostingList.writeHeader(count: n, into: raw)
            let o = IVFPostingList.offsets(count: n)
            for i in 0..<n {
                raw.storeBytes(of: UInt32(100 + i), toByteOffset: o.ids + 4 * i, as: UInt32.self)
                raw.storeBytes(of: Float(i) / 2, toByteOffset: o.norms + 4 * i, as: Float.self)
                for j in 0..<d {
                    if encoding == .float32 {
                        raw.storeBytes(of: Float(i * 10 + j), toByteOffset: o.vectors + 4 * (i * d + j), as: Float.self)
                    } else {
                        raw.storeBytes(of: Int8(i - j), toByteOffset: o.vectors + i * d + j, as: Int8.self)
                    }
                }
            }
            XCTAssertEqual(raw[o.ids + 4 * n], 0, "padding is zeroed")
            let view = try XCTUnwrap(IVFPostingList(UnsafeRawBufferPointer(raw), dimension: d, encoding: encoding))
            XCTAssertEqual(view.count, n)
            for i in 0..<n {
                XCTAssertEqual(view.ids[i], UInt32(100 + i))
                XCTAssertEqual(view.norms[i], Float(i) / 2)
                for j in 0..<d {
                    if encoding == .float32 { XCTAssertEqual(view.floatVector(i)[j], Float(i * 10 + j)) } else { XCTAssertEqual(view.codes(i)[j], Int8(i - j)) }
                }
            }
            XCTAssertNil(IVFPostingList(UnsafeRawBufferPointer(rebasing: raw[0 ..< size - 1]), dimension: d, encoding: encoding),
                         "a size that does not match the count is refused")
            XCTAssertNil(IVFPostingList(UnsafeRawBufferPointer(rebasing: raw[0 ..< 8]), dimension: d, encoding: encoding))
        }
    }

    func testListStatsRoundTrip() {
        let stats = [IVFListStats(count: 3, maxResidualNorm: 1.5, centroidSquaredNorm: 2.25, maxSquaredNorm: 9),
                     IVFListStats(), IVFListStats(count: 70_000, maxResidualNorm: 0.125, centroidSquaredNorm: 0, maxSquaredNorm: 1)]
        let bytes = IVFListStats.encode(stats)
        XCTAssertEqual(bytes.count, 48)
        XCTAssertEqual(bytes.withUnsafeBytes { IVFListStats.decode($0) }, stats)
        XCTAssertEqual(Array(bytes[0..<4]), [3, 0, 0, 0], "counts are little-endian")
        XCTAssertNil(bytes.dropLast().withUnsafeBytes { IVFListStats.decode($0) })
    }

    func testInt8QuantizerRoundTripAndClamp() {
        let q = IVFInt8Quantizer(minimum: [-1, 0, 5, 2], maximum: [1, 2.54, 5, 2])
        XCTAssertEqual(q.offset, [0, 1.27, 5, 2])
        XCTAssertEqual(q.scale[0], 2.0 / 254, accuracy: 1e-7)
        XCTAssertEqual(q.scale[2], 1, "a constant dimension keeps scale 1")
        var codes = [Int8](repeating: 0, count: 4), back = [Float](repeating: 0, count: 4)
        for value: [Float] in [[-1, 0, 5, 2], [1, 2.54, 5, 2], [0.3, 1.1, 5, 2], [7, -9, 5, 2]] {
            value.withUnsafeBufferPointer { v in codes.withUnsafeMutableBufferPointer { q.encode(v.baseAddress!, into: $0.baseAddress!) } }
            codes.withUnsafeBufferPointer { c in back.withUnsafeMutableBufferPointer { q.decode(c.baseAddress!, into: $0.baseAddress!) } }
            for j in 0..<2 {
                let clamped = min(max(value[j], [-1, 0][j]), [1, 2.54][j])
                XCTAssertEqual(back[j], clamped, accuracy: q.scale[j] / 2 + 1e-6, "dimension \(j) of \(value)")
            }
            XCTAssertEqual(back[2], 5)
        }
    }

    func testInt8KernelsMatchNaiveProducts() {
        var state: UInt64 = 12345
        func next() -> UInt64 { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return state >> 33 }
        for d in [5, 16, 37, 128] {
            let rows = 6
            let codes = (0 ..< rows * d).map { _ in Int8(truncatingIfNeeded: Int(next() % 255) - 127) }
            let query = (0..<d).map { _ in Float(Int(next() % 2001) - 1000) / 700 }
            let scale = (0..<d).map { _ in Float(next() % 100 + 1) / 1000 }
            let quantizer = IVFInt8Quantizer(offset: (0..<d).map { Float($0) / 10 }, scale: scale)
            var weights = [Int16](repeating: 0, count: d)
            let (factor, offsetDot) = query.withUnsafeBufferPointer { q in
                weights.withUnsafeMutableBufferPointer { quantizer.prepare(query: q.baseAddress!, weights: $0.baseAddress!) }
            }
            XCTAssertEqual(offsetDot, zip(query, quantizer.offset).reduce(0) { $0 + $1.0 * $1.1 }, accuracy: 1e-3)
            var sums = [Int32](repeating: 0, count: rows)
            codes.withUnsafeBufferPointer { c in
                weights.withUnsafeBufferPointer { w in
                    sums.withUnsafeMutableBufferPointer {
                        Kernels.i16i8DotContiguous(weights: w.baseAddress!, codes: c.baseAddress!, count: rows, dimension: d,
                                                   into: $0.baseAddress!)
                    }
                    for r in 0..<rows {
                        let naive = (0..<d).reduce(Int32(0)) { $0 + Int32(w[$1]) * Int32(codes[r * d + $1]) }
                        XCTAssertEqual(sums[r], naive, "kernel sum is exact (d \(d), row \(r))")
                        // factor * sum(w * code) estimates sum(q * scale * code).
                        let exact = (0..<d).reduce(0.0) { $0 + Double(query[$1] * scale[$1]) * Double(codes[r * d + $1]) }
                        let bound = (0..<d).reduce(0.0) { $0 + abs(Double(query[$1] * scale[$1]) * Double(codes[r * d + $1])) }
                        XCTAssertEqual(Double(factor) * Double(sums[r]), exact, accuracy: 1e-3 * bound + 1e-6, "d \(d), row \(r)")
                    }
                }
            }
        }
    }

    func testBalance() {
        let even = IVFBalance(sizes: [5, 5, 5, 5])
        XCTAssertEqual(even.imbalance, 1)
        XCTAssertEqual(even.variation, 0)
        let skewed = IVFBalance(sizes: [0, 1, 1, 2, 16])
        XCTAssertEqual(skewed.rows, 20)
        XCTAssertEqual(skewed.emptyLists, 1)
        XCTAssertEqual(skewed.smallest, 0)
        XCTAssertEqual(skewed.largest, 16)
        XCTAssertEqual(skewed.median, 1)
        XCTAssertEqual(skewed.imbalance, 5.0 * (1 + 1 + 4 + 256) / 400, accuracy: 1e-12)
        XCTAssertTrue(skewed.summary.contains("5 lists (1 empty), 20 rows: sizes 0...16, median 1"), skewed.summary)
    }
}
