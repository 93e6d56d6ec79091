/// Finds NaN and infinity in float buffers by their bit pattern, sixteen lanes at a time.
@usableFromInline
enum FiniteCheck {
    /// The index of the first NaN or infinity in `values`, or nil when all are finite.
    @inlinable
    static func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
        guard let base = values.baseAddress else { return nil }
        let count = values.count
        let raw = UnsafeRawPointer(base)
        let magnitude = SIMD16<Int32>(repeating: 0x7FFF_FFFF)
        let largestFinite = SIMD16<Int32>(repeating: 0x7F7F_FFFF)
        let block = 1024  // floats per early-exit check
        var i = 0
        while i + 16 <= count {
            let blockStart = i
            let stop = min(count - count % 16, i + block)
            var bad = SIMDMask<SIMD16<Int32>>(repeating: false)
            while i < stop {
                let bits = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Int32>.self)
                bad = bad .| ((bits & magnitude) .> largestFinite)
                i += 16
            }
            if any(bad) { return scalarFirst(values, from: blockStart, to: i) }
        }
        return scalarFirst(values, from: i, to: count)
    }

    @usableFromInline
    static func scalarFirst(_ values: UnsafeBufferPointer<Float>, from: Int, to: Int) -> Int? {
        var k = from
        while k < to {
            if !values[k].isFinite { return k }
            k += 1
        }
        return nil
    }
}
