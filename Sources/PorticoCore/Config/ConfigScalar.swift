/// Parsing of the small textual value languages used in `portico.yaml`: durations,
/// byte sizes, HTTP tokens and header values.
///
/// These are public so the command line and tests use exactly the rules the file
/// loader uses; the loader itself uses the `check…` forms, which say *why* a value
/// was rejected.
public enum ConfigScalar {
    /// `"500ms"`, `"10s"`, `"2m"`, `"1h"`, or a bare integer meaning seconds.
    /// Zero parses (the loader rejects it separately, with its own message); negative
    /// numbers, fractions, other units and overflowing values do not.
    public static func parseDuration(_ text: String) -> Duration? {
        try? checkDuration(text).get()
    }

    /// An integer number of bytes, or a number with a binary suffix: `k`, `kb`, `kib`
    /// (×1024) or `m`, `mb`, `mib` (×1024²), case-insensitive. `"8KiB"` is 8192.
    public static func parseSize(_ text: String) -> Int? {
        try? checkSize(text).get()
    }

    /// Whether `text` is an RFC 9110 `token` (header field names, method names).
    public static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isTokenByte)
    }

    /// Whether `text` may be sent as a header field value: no CR, LF, NUL or other
    /// control characters except horizontal tab (RFC 9110 §5.5). Allowing CR/LF would
    /// let a configuration inject extra header lines.
    public static func isHeaderValue(_ text: String) -> Bool {
        (try? checkHeaderValue(text).get()) != nil
    }

    // MARK: - Checking with reasons

    struct Problem: Error {
        var message: String
    }

    static let durationForms = "use e.g. \"500ms\", \"10s\", \"2m\", \"1h\", or a number of seconds"
    static let sizeForms = "use a number of bytes or e.g. \"8KiB\", \"8k\", \"1MiB\", \"1m\""

    static func checkDuration(_ text: String) -> Result<Duration, Problem> {
        let (digits, unit) = splitNumber(text)
        guard let value = parseDigits(digits) else {
            return .failure(Problem(message: "invalid duration \(configQuoted(text)) (\(durationForms))"))
        }
        let overflow = Problem(message: "duration \(configQuoted(text)) is too large")
        switch unit {
        case "ms":
            return .success(.milliseconds(value))
        case "", "s":
            return .success(.seconds(value))
        case "m", "h":
            let (seconds, overflowed) = value.multipliedReportingOverflow(by: unit == "m" ? 60 : 3600)
            return overflowed ? .failure(overflow) : .success(.seconds(seconds))
        default:
            return .failure(Problem(message: "invalid duration \(configQuoted(text)) (\(durationForms))"))
        }
    }

    static func checkSize(_ text: String) -> Result<Int, Problem> {
        let (digits, unit) = splitNumber(text)
        guard let value = parseDigits(digits) else {
            return .failure(Problem(message: "invalid size \(configQuoted(text)) (\(sizeForms))"))
        }
        let multiplier: Int
        switch unit.lowercased() {
        case "": multiplier = 1
        case "k", "kb", "kib": multiplier = 1024
        case "m", "mb", "mib": multiplier = 1024 * 1024
        default:
            return .failure(Problem(message: "invalid size \(configQuoted(text)) (\(sizeForms))"))
        }
        let (bytes, overflowed) = Int(value).multipliedReportingOverflow(by: multiplier)
        return overflowed ? .failure(Problem(message: "size \(configQuoted(text)) is too large")) : .success(bytes)
    }

    static func checkHeaderName(_ text: String) -> Result<String, Problem> {
        isToken(text)
            ? .success(text)
            : .failure(Problem(message: "invalid header name \(configQuoted(text)) (must be an HTTP token: letters, digits and !#$%&'*+-.^_`|~)"))
    }

    static func checkHeaderValue(_ text: String) -> Result<String, Problem> {
        for scalar in text.unicodeScalars {
            if scalar == "\r" || scalar == "\n" || scalar == "\0" {
                return .failure(Problem(message: "header value \(configQuoted(text)) must not contain CR, LF or NUL"))
            }
            if (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F {
                return .failure(Problem(message: "header value \(configQuoted(text)) must not contain control characters"))
            }
        }
        return .success(text)
    }

    static func checkMethod(_ text: String) -> Result<String, Problem> {
        isToken(text)
            ? .success(text.uppercased())
            : .failure(Problem(message: "invalid method \(configQuoted(text)) (must be an HTTP token such as GET or POST)"))
    }

    // MARK: - Helpers

    /// Splits `"500ms"` into `("500", "ms")`.
    private static func splitNumber(_ text: String) -> (digits: Substring, unit: Substring) {
        let firstNonDigit = text.firstIndex { !("0"..."9").contains($0) } ?? text.endIndex
        return (text[..<firstNonDigit], text[firstNonDigit...])
    }

    /// ASCII digits only (no sign, no `_`), at most 18 so the value fits in `Int64`
    /// with room for a unit multiplier check.
    private static func parseDigits(_ digits: Substring) -> Int64? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        return Int64(digits)
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
