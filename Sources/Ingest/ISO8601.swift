/// ISO 8601 dates and times to seconds since the Unix epoch.
///
/// Accepted: `YYYY-MM-DD` (midnight UTC) and `YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM|+HHMM]`
/// ('T' or a space between date and time; no zone means UTC; fractions of a second are
/// dropped). Fields are range-checked (month 1-12, day within the month, 23:59:60 at most).
enum ISO8601 {
    static func parse(_ text: Substring) -> Int64? {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var value = 0
            for k in 0..<n {
                let c = b[i + k]
                guard NumberScanner.isDigit(c) else { return nil }
                value = value * 10 + Int(c - 48)
            }
            i += n
            return value
        }
        func take(_ c: UInt8) -> Bool {
            if i < b.count && b[i] == c { i += 1; return true }
            return false
        }
        guard let year = digits(4), take(45), let month = digits(2), take(45), let day = digits(2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        var seconds = Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400
        if i == b.count { return seconds }
        guard take(84) || take(116) || take(32) else { return nil }  // 'T', 't', ' '
        guard let hour = digits(2), take(58), let minute = digits(2), take(58), let second = digits(2) else { return nil }
        guard hour < 24, minute < 60, second <= 60 else { return nil }
        seconds += Int64(hour * 3600 + minute * 60 + second)
        if take(46) || take(44) {  // fraction, dropped
            let start = i
            while i < b.count, NumberScanner.isDigit(b[i]) { i += 1 }
            if i == start { return nil }
        }
        if i == b.count { return seconds }
        if take(90) || take(122) { return i == b.count ? seconds : nil }  // 'Z', 'z'
        guard i < b.count, b[i] == 43 || b[i] == 45 else { return nil }
        let sign: Int64 = b[i] == 45 ? -1 : 1
        i += 1
        guard let offsetHours = digits(2) else { return nil }
        var offsetMinutes = 0
        if i < b.count {
            _ = take(58)
            guard let m = digits(2) else { return nil }
            offsetMinutes = m
        }
        guard i == b.count, offsetHours < 24, offsetMinutes < 60 else { return nil }
        // Local time = UTC + offset, so UTC = local - offset.
        return seconds - sign * Int64(offsetHours * 3600 + offsetMinutes * 60)
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
