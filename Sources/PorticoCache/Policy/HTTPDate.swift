#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// HTTP-date (RFC 9110 §5.6.7): parsing of the three formats a recipient must accept
/// and formatting of the one a sender must use.
///
/// A small hand-written parser rather than Foundation's `DateFormatter`, which is slow,
/// locale-dependent and not needed for three fixed layouts. Times are seconds since
/// 1970 (UTC) as `Double`, like the rest of the cache policy.
public enum HTTPDate {
    private static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let longDayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The current UTC year, read once: the pivot for two-digit RFC 850 years.
    public static let currentYear: Int = {
        let seconds = Int(time(nil))
        return civil(fromDays: seconds.floorDivided(by: 86_400)).year
    }()

    /// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), an RFC 850 date
    /// (`Sunday, 06-Nov-94 08:49:37 GMT`) or an asctime date (`Sun Nov  6 08:49:37 1994`).
    /// nil for anything else (callers decide what an invalid date means, e.g. RFC 9111
    /// §5.3: an invalid `Expires` is in the past).
    ///
    /// A two-digit RFC 850 year that would be more than 50 years after `referenceYear`
    /// is read as the most recent past year with those digits (RFC 9110 §5.6.7).
    public static func parse(_ value: some StringProtocol, referenceYear: Int = HTTPDate.currentYear) -> Double? {
        let text = Substring(value).trimmingSpaces()
        if text.utf8.count == 29, let seconds = Self.parseIMFFixdateBytes(text) {
            return seconds  // the common case, without splitting strings
        }
        if let comma = text.firstIndex(of: ",") {
            let day = text[..<comma]
            let rest = text[text.index(after: comma)...]
            if Self.dayNames.contains(String(day)) { return Self.parseIMFFixdate(rest) }
            if Self.longDayNames.contains(String(day)) { return Self.parseRFC850(rest, referenceYear: referenceYear) }
            return nil
        }
        return Self.parseAsctime(text)
    }

    /// The IMF-fixdate of `seconds` (fractions dropped), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    public static func format(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.down))
        let days = whole.floorDivided(by: 86_400)
        let secondOfDay = whole - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        let weekday = (days + 4).modulo(7)  // 1970-01-01 was a Thursday
        return "\(Self.dayNames[weekday]), \(Self.twoDigits(day)) \(Self.monthNames[month - 1]) \(year) "
            + "\(Self.twoDigits(secondOfDay / 3600)):\(Self.twoDigits(secondOfDay / 60 % 60)):"
            + "\(Self.twoDigits(secondOfDay % 60)) GMT"
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT` read by byte position: every stored response's
    /// `Date` (and most `Expires`/`Last-Modified`) is in this form, and a cache hit reads
    /// it several times. Anything unexpected returns nil and takes the general path.
    private static func parseIMFFixdateBytes(_ text: Substring) -> Double? {
        var utf8 = Array(text.utf8)
        return utf8.withUnsafeMutableBufferPointer { b -> Double? in
            guard b[3] == UInt8(ascii: ","), b[4] == 0x20, b[7] == 0x20, b[11] == 0x20, b[16] == 0x20,
                b[19] == UInt8(ascii: ":"), b[22] == UInt8(ascii: ":"), b[25] == 0x20,
                b[26] == UInt8(ascii: "G"), b[27] == UInt8(ascii: "M"), b[28] == UInt8(ascii: "T")
            else { return nil }
            func digits(_ start: Int, _ count: Int) -> Int? {
                var value = 0
                for i in start..<(start + count) {
                    let d = Int(b[i]) - 48
                    guard d >= 0, d <= 9 else { return nil }
                    value = value * 10 + d
                }
                return value
            }
            func matches(_ name: String, at start: Int) -> Bool {
                var i = start
                for byte in name.utf8 {
                    guard b[i] == byte else { return false }
                    i += 1
                }
                return true
            }
            guard Self.dayNames.contains(where: { matches($0, at: 0) }),
                let monthIndex = Self.monthNames.firstIndex(where: { matches($0, at: 8) }),
                let day = digits(5, 2), let year = digits(12, 4), let hour = digits(17, 2),
                let minute = digits(20, 2), let second = digits(23, 2),
                hour < 24, minute < 60, second <= 60, year >= 1, day >= 1,
                day <= Self.daysIn(month: monthIndex + 1, year: year)
            else { return nil }
            let days = Self.days(fromCivil: year, monthIndex + 1, day)
            return Double(days * 86_400 + hour * 3600 + minute * 60 + second)
        }
    }

    // ` 06 Nov 1994 08:49:37 GMT`
    private static func parseIMFFixdate(_ text: Substring) -> Double? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 5, parts[4] == "GMT", parts[0].count == 2, parts[2].count == 4,
            let day = Self.number(parts[0]), let month = Self.month(parts[1]), let year = Self.number(parts[2])
        else { return nil }
        return Self.seconds(year: year, month: month, day: day, time: parts[3])
    }

    // ` 06-Nov-94 08:49:37 GMT`
    private static func parseRFC850(_ text: Substring, referenceYear: Int) -> Double? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3, parts[2] == "GMT" else { return nil }
        let date = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        guard date.count == 3, date[0].count == 2, date[2].count == 2, let day = Self.number(date[0]),
            let month = Self.month(date[1]), let shortYear = Self.number(date[2])
        else { return nil }
        var year = referenceYear - referenceYear % 100 + shortYear
        if year > referenceYear + 50 { year -= 100 }
        return Self.seconds(year: year, month: month, day: day, time: parts[1])
    }

    // `Sun Nov  6 08:49:37 1994`
    private static func parseAsctime(_ text: Substring) -> Double? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 5, Self.dayNames.contains(String(parts[0])), let month = Self.month(parts[1]),
            (1...2).contains(parts[2].count), let day = Self.number(parts[2]), parts[4].count == 4,
            let year = Self.number(parts[4])
        else { return nil }
        return Self.seconds(year: year, month: month, day: day, time: parts[3])
    }

    /// Digits only (`Int("+6")` would accept a sign).
    private static func number(_ text: Substring) -> Int? {
        text.allSatisfy(\.isASCIIDigit) ? Int(text) : nil
    }

    private static func month(_ name: Substring) -> Int? {
        Self.monthNames.firstIndex(of: String(name)).map { $0 + 1 }
    }

    /// Validates the calendar and `HH:MM:SS` (RFC 9110 §5.6.7 allows second 60 for a
    /// leap second; it is read as the next second).
    private static func seconds(year: Int, month: Int, day: Int, time: Substring) -> Double? {
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCIIDigit) }),
            let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
            hour < 24, minute < 60, second <= 60, year >= 1, day >= 1, day <= Self.daysIn(month: month, year: year)
        else { return nil }
        let days = Self.days(fromCivil: year, month, day)
        return Double(days * 86_400 + hour * 3600 + minute * 60 + second)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    private static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of `days(fromCivil:)`.
    private static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}

extension Int {
    fileprivate func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    fileprivate func modulo(_ divisor: Int) -> Int {
        let remainder = self % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { self >= "0" && self <= "9" }
}
