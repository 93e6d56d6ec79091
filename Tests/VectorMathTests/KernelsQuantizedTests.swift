import XCTest
@testable import VectorMath

final class KernelsQuantizedTests: XCTestCase {
    /// The value of a binary16 bit pattern, computed from its fields (independent of the kernels).
    private func halfValue(_ bits: UInt16) -> Double {
        let sign: Double = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1f), mantissa = Double(bits & 0x3ff)
        switch exponent {
        case 0x1f: return mantissa == 0 ? sign * .infinity : .nan
        case 0: return sign * mantissa * 0x1p-24
        default: return sign * (1024 + mantissa) * Double(sign: .plus, exponent: exponent - 25, significand: 1)
        }
    }

    private func toHalves(_ values: [Float]) -> [UInt16] {
        var out = [UInt16](repeating: 0, count: values.count)
        Kernels.convertToF16(values, into: &out, count: values.count)
        return out
    }

    func testU8DotMatchesNaiveDoubleAtEveryLevel() {
        var rng = TestRandom(seed: 21)
        forEachKernelLevel { level in
            for n in kernelSizes {
                for offset in [0, 1, 3] {
                    let q = rng.floats(n + offset)
                    let codes = (0..<(n + offset)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    var ref = 0.0, magnitude = 0.0
                    for j in offset..<(n + offset) {
                        ref += Double(q[j]) * Double(codes[j])
                        magnitude += abs(Double(q[j]) * Double(codes[j]))
                    }
                    q.withUnsafeBufferPointer { pq in
                        codes.withUnsafeBufferPointer { pc in
                            let got = Kernels.u8Dot(pq.baseAddress! + offset, pc.baseAddress! + offset, count: n)
                            XCTAssertEqual(Double(got), ref, accuracy: kernelTolerance(magnitude, n),
                                           "u8Dot \(level) n=\(n) offset=\(offset)")
                        }
                    }
                }
            }
        }
    }

    func testI8DotIsExactOverTheWholeInt8RangeAtEveryLevel() {
        var rng = TestRandom(seed: 22)
        forEachKernelLevel { level in
            for n in kernelSizes {
                for offset in [0, 1, 3] {
                    let a = (0..<(n + offset)).map { _ in Int8.random(in: .min ... .max, using: &rng) }
                    let b = (0..<(n + offset)).map { _ in Int8.random(in: .min ... .max, using: &rng) }
                    var ref = 0
                    for j in offset..<(n + offset) { ref += Int(a[j]) * Int(b[j]) }
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            let got = Kernels.i8Dot(pa.baseAddress! + offset, pb.baseAddress! + offset, count: n)
                            XCTAssertEqual(Int(got), ref, "i8Dot \(level) n=\(n) offset=\(offset)")
                        }
                    }
                }
            }
            // The extremes: -128 * -128 is the one product that does not fit an int8 x int8 trick
            // that negates operands; the VNNI kernel's bias is exact for it.
            let n = 1000
            let low = [Int8](repeating: .min, count: n), high = [Int8](repeating: .max, count: n)
            XCTAssertEqual(Kernels.i8Dot(low, low, count: n), Int32(128 * 128 * n), "\(level)")
            XCTAssertEqual(Kernels.i8Dot(low, high, count: n), Int32(-128 * 127 * n), "\(level)")
            XCTAssertEqual(Kernels.i8Dot(high, high, count: n), Int32(127 * 127 * n), "\(level)")
        }
    }

    func testF16DotMatchesNaiveDoubleOfTheDecodedHalvesAtEveryLevel() {
        var rng = TestRandom(seed: 23)
        forEachKernelLevel { level in
            for n in kernelSizes {
                for offset in [0, 1, 3] {
                    let q = rng.floats(n + offset)
                    let halves = toHalves(rng.floats(n + offset).map { $0 * 4 })
                    var ref = 0.0, magnitude = 0.0
                    for j in offset..<(n + offset) {
                        let p = Double(q[j]) * halfValue(halves[j])
                        ref += p
                        magnitude += abs(p)
                    }
                    q.withUnsafeBufferPointer { pq in
                        halves.withUnsafeBufferPointer { ph in
                            let got = Kernels.f16Dot(pq.baseAddress! + offset, ph.baseAddress! + offset, count: n)
                            XCTAssertEqual(Double(got), ref, accuracy: kernelTolerance(magnitude, n),
                                           "f16Dot \(level) n=\(n) offset=\(offset)")
                        }
                    }
                }
            }
        }
    }

    func testQuantizedGatherFormsEqualTheSingleForms() {
        var rng = TestRandom(seed: 24)
        let rows = 40
        let ids: [UInt32] = [5, 0, 39, 5, 17, 38, 2, 21, 21, 9]
        forEachKernelLevel { level in
            for dim in [1, 15, 17, 64, 100, 128, 129] {
                let stride = dim + 5
                let query = rng.floats(dim)
                let u8 = (0..<(rows * stride)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                let i8 = (0..<(rows * stride)).map { _ in Int8.random(in: .min ... .max, using: &rng) }
                let i8Query = Array(i8[0..<dim])
                let f16 = toHalves(rng.floats(rows * stride))
                var u8Out = [Float](repeating: .nan, count: ids.count), f16Out = u8Out
                var i8Out = [Int32](repeating: 0, count: ids.count)
                Kernels.u8DotGather(query, base: u8, stride: stride, ids: ids, count: ids.count,
                                    dimension: dim, into: &u8Out)
                Kernels.i8DotGather(i8Query, base: i8, stride: stride, ids: ids, count: ids.count,
                                    dimension: dim, into: &i8Out)
                Kernels.f16DotGather(query, base: f16, stride: stride, ids: ids, count: ids.count,
                                     dimension: dim, into: &f16Out)
                for (i, id) in ids.enumerated() {
                    let at = Int(id) * stride
                    let u8Single = u8.withUnsafeBufferPointer {
                        Kernels.u8Dot(query, $0.baseAddress! + at, count: dim)
                    }
                    let i8Single = i8.withUnsafeBufferPointer {
                        Kernels.i8Dot(i8Query, $0.baseAddress! + at, count: dim)
                    }
                    let f16Single = f16.withUnsafeBufferPointer {
                        Kernels.f16Dot(query, $0.baseAddress! + at, count: dim)
                    }
                    XCTAssertEqual(u8Out[i], u8Single, "u8DotGather \(level) dim=\(dim) i=\(i)")
                    XCTAssertEqual(i8Out[i], i8Single, "i8DotGather \(level) dim=\(dim) i=\(i)")
                    XCTAssertEqual(f16Out[i], f16Single, "f16DotGather \(level) dim=\(dim) i=\(i)")
                }
            }
        }
    }

    func testEveryHalfConvertsToItsExactFloatAtEveryLevel() {
        let all = (0...UInt16.max).map { $0 }
        forEachKernelLevel { level in
            var floats = [Float](repeating: 0, count: all.count)
            Kernels.convertFromF16(all, into: &floats, count: all.count)
            for bits in all {
                let expected = halfValue(bits), got = floats[Int(bits)]
                if expected.isNaN {
                    XCTAssertTrue(got.isNaN, "\(level) 0x\(String(bits, radix: 16)) should be NaN, got \(got)")
                } else if Float(expected).bitPattern != got.bitPattern {
                    XCTFail("\(level) 0x\(String(bits, radix: 16)): expected \(expected), got \(got)")
                }
            }
        }
    }

    func testFloatToHalfRoundsToNearestEvenAtEveryLevel() {
        // For each pair of adjacent finite halves (both signs): the midpoint goes to the even
        // one, a float just above it to the upper, just below to the lower; each half itself
        // converts back to itself.
        var inputs: [Float] = [], expected: [UInt16] = []
        for sign: UInt16 in [0, 0x8000] {
            for low: UInt16 in 0..<0x7bff { // 0x7bff (65504) is followed by infinity: below
                let high = low + 1, a = Float(halfValue(low | sign)), b = Float(halfValue(high | sign))
                let mid = (a + b) / 2
                inputs += [a, mid, mid.nextUp, mid.nextDown]
                let even = low & 1 == 0 ? low : high
                // nextUp moves toward +infinity: away from zero for positives, toward it for negatives.
                let (up, down) = sign == 0 ? (high, low) : (low, high)
                expected += [low | sign, even | sign, up | sign, down | sign]
            }
        }
        inputs += [65504, -65504, 65519.99, 65520, -65520, 1e10, -1e10, .greatestFiniteMagnitude, .infinity, -.infinity]
        expected += [0x7bff, 0xfbff, 0x7bff, 0x7c00, 0xfc00, 0x7c00, 0xfc00, 0x7c00, 0x7c00, 0xfc00]
        forEachKernelLevel { level in
            let got = toHalves(inputs)
            var failures = 0
            for i in inputs.indices where got[i] != expected[i] {
                failures += 1
                if failures <= 5 {
                    XCTFail("\(level) \(inputs[i]) (0x\(String(inputs[i].bitPattern, radix: 16))): expected 0x"
                            + "\(String(expected[i], radix: 16)), got 0x\(String(got[i], radix: 16))")
                }
            }
            XCTAssertEqual(failures, 0, "\(level)")
            let nan = toHalves([.nan, -.nan, Float(bitPattern: 0x7f80_0001)])
            for h in nan { XCTAssertTrue(halfValue(h).isNaN, "\(level) NaN converted to 0x\(String(h, radix: 16))") }
        }
    }
}
