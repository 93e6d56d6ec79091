#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decimal number parsing straight from file bytes.
///
/// `scanFloat` is correctly rounded: decimals with at most 19 significant digits, a mantissa
/// below 2^53 and a power of ten within 10^±22 are computed exactly in Double (one correctly
/// rounded operation) and narrowed to Float, which is the correctly rounded Float unless the
/// Double lands exactly on a midpoint between two Floats; that case and every other one goes to
/// strtof on a NUL-terminated copy of the token.
@usableFromInline
enum NumberScanner {
    @usableFromInline
    static let powersOfTen: [Double] = (0...22).map { e in
        var value = 1.0
        for _ in 0..<e { value *= 10 }
        return value
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- 48 < 10 }

    /// Parses a number at `bytes[from...]` (not past `end`): `[+-]digits[.digits][e[+-]digits]`,
    /// `.digits`, or `nan`/`inf`/`infinity` in any case. Returns the value and the index just
    /// after it, or nil when no number starts there. The caller checks what follows.
    @inline(__always)
    static func scanFloat(_ bytes: UnsafeRawBufferPointer, from: Int, end: Int) -> (value: Float, next: Int)? {
        var i = from
        var negative = false
        if i < end {
            let c = bytes[i]
            if c == 45 { negative = true; i += 1 } else if c == 43 { i += 1 }
        }
        let afterSign = i
        var mantissa: UInt64 = 0
        var significant = 0
        var exponent = 0
        var digits = 0
        var lostDigits = false
        while i < end, isDigit(bytes[i]) {
            let d = UInt64(bytes[i] &- 48)
            digits += 1
            if mantissa == 0 && d == 0 {
                // leading zero: not significant
            } else if significant < 19 {
                mantissa = mantissa &* 10 &+ d
                significant += 1
            } else {
                exponent += 1
                if d != 0 { lostDigits = true }
            }
            i += 1
        }
        if i < end && bytes[i] == 46 {
            i += 1
            while i < end, isDigit(bytes[i]) {
                let d = UInt64(bytes[i] &- 48)
                digits += 1
                if mantissa == 0 && d == 0 {
                    exponent -= 1
                } else if significant < 19 {
                    mantissa = mantissa &* 10 &+ d
                    significant += 1
                    exponent -= 1
                } else if d != 0 {
                    lostDigits = true
                }
                i += 1
            }
        }
        if digits == 0 {
            return i == afterSign ? scanSpecial(bytes, from: i, end: end, negative: negative) : nil
        }
        if i < end && (bytes[i] == 101 || bytes[i] == 69) {
            var j = i + 1
            var expNegative = false
            if j < end && (bytes[j] == 45 || bytes[j] == 43) { expNegative = bytes[j] == 45; j += 1 }
            if j < end && isDigit(bytes[j]) {
                var e = 0
                while j < end, isDigit(bytes[j]) {
                    if e < 100_000 { e = e * 10 + Int(bytes[j] &- 48) }
                    j += 1
                }
                exponent += expNegative ? -e : e
                i = j
            }
            // "1e" or "1e+": the number ends before the 'e'; the caller sees the 'e'.
        }
        if mantissa == 0 { return (negative ? -0.0 : 0.0, i) }
        if !lostDigits && mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            var d = Double(mantissa)
            if exponent >= 0 { d *= powersOfTen[exponent] } else { d /= powersOfTen[-exponent] }
            let f = Float(d)
            let back = Double(f)
            if back == d || !isMidpoint(d, rounded: f) {
                return (negative ? -f : f, i)
            }
        }
        return (slowFloat(bytes, from: from, to: i), i)
    }

    /// True when `d` lies exactly halfway between `rounded` and its neighbour on `d`'s side.
    @inline(__always)
    static func isMidpoint(_ d: Double, rounded f: Float) -> Bool {
        let back = Double(f)
        let other = d > back ? f.nextUp : f.nextDown
        if !other.isFinite || !f.isFinite { return false }
        return d == (back + Double(other)) / 2
    }

    @inline(never)
    static func slowFloat(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Float {
        let n = to - from
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { text in
            for k in 0..<n { text[k] = CChar(bitPattern: bytes[from + k]) }
            text[n] = 0
            return strtof(text.baseAddress!, nil)
        }
    }

    /// `nan`, `inf` or `infinity` (any case) at `from`; JSON writers also emit `NaN` and `Infinity`.
    @inline(never)
    static func scanSpecial(_ bytes: UnsafeRawBufferPointer, from: Int, end: Int, negative: Bool) -> (value: Float, next: Int)? {
        func matches(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            if end - from < n { return false }
            let w = word.utf8Start
            for k in 0..<n where bytes[from + k] | 0x20 != w[k] { return false }
            return true
        }
        if matches("infinity") { return (negative ? -.infinity : .infinity, from + 8) }
        if matches("inf") { return (negative ? -.infinity : .infinity, from + 3) }
        if matches("nan") { return (.nan, from + 3) }
        return nil
    }

    /// A decimal number (`[+-]digits[.digits][e[+-]digits]` or `.digits`, nothing else) as a
    /// finite Double, or nil.
    static func parseDecimal(_ text: Substring) -> Double? {
        let u = text.utf8
        var i = u.startIndex
        if i == u.endIndex { return nil }
        if u[i] == 45 || u[i] == 43 { i = u.index(after: i) }
        var digits = 0
        while i != u.endIndex, isDigit(u[i]) { digits += 1; i = u.index(after: i) }
        if i != u.endIndex && u[i] == 46 {
            i = u.index(after: i)
            while i != u.endIndex, isDigit(u[i]) { digits += 1; i = u.index(after: i) }
        }
        if digits == 0 { return nil }
        if i != u.endIndex && (u[i] == 101 || u[i] == 69) {
            i = u.index(after: i)
            if i != u.endIndex && (u[i] == 45 || u[i] == 43) { i = u.index(after: i) }
            var expDigits = 0
            while i != u.endIndex, isDigit(u[i]) { expDigits += 1; i = u.index(after: i) }
            if expDigits == 0 { return nil }
        }
        if i != u.endIndex { return nil }
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// Canonical signed decimal integer text (optional '-', digits) that fits in Int64.
    static func parseInteger(_ text: Substring) -> Int64? {
        let u = text.utf8
        guard let first = u.first else { return nil }
        let body = first == 45 ? u.dropFirst() : u[...]
        if body.isEmpty || !body.allSatisfy(isDigit) { return nil }
        return Int64(text)
    }
}
