/// HTTP status codes in configuration: the single statuses of `on_status:` and
/// `statuses:` lists, and the ranges a health check expects (`200-399`, `2xx`, `200`).
extension ConfigScalar {
    /// Every status a configuration may name (RFC 9110 §15: three digits, classes 1xx–5xx).
    static let statusCodes = 100...599

    static let statusRangeForms = "use a status such as 200, a range such as 200-399, or a class such as 2xx"

    /// `"200-399"` (inclusive, spaces around `-` allowed), `"2xx"` (`X` in any case) or a
    /// single status `"200"`. Every status must be in `statusCodes`.
    static func checkStatusRange(_ text: String) -> Result<ClosedRange<Int>, Problem> {
        let invalid = Problem(message: "invalid status range \(configQuoted(text)) (\(statusRangeForms))")
        let lowered = text.lowercased()
        if lowered.count == 3, lowered.hasSuffix("xx") {
            guard let digit = lowered.unicodeScalars.first, ("0"..."9").contains(digit) else { return .failure(invalid) }
            let hundreds = Int(digit.value - 0x30)
            guard (1...5).contains(hundreds) else {
                return .failure(Problem(message: "status class \(configQuoted(text)) is out of range (1xx to 5xx)"))
            }
            return .success(hundreds * 100...hundreds * 100 + 99)
        }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return .failure(invalid) }
        var bounds: [Int] = []
        for part in parts {
            var digits = part.drop { $0 == " " }
            while digits.last == " " { digits = digits.dropLast() }
            guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy({ ("0"..."9").contains($0) }),
                  let status = Int(String(digits))
            else { return .failure(invalid) }
            guard statusCodes.contains(status) else {
                return .failure(Problem(message: "status \(status) is out of range (100 to 599)"))
            }
            bounds.append(status)
        }
        let low = bounds[0]
        let high = bounds[bounds.count - 1]
        guard low <= high else {
            return .failure(Problem(message: "status range \(configQuoted(text)) is reversed (write \(high)-\(low))"))
        }
        return .success(low...high)
    }
}
