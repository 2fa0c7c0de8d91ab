/// A JSON value built by hand for the admin API.
///
/// The API's documents are small and their field names part of a public contract, so
/// they are spelled out explicitly (no `Codable`, no Foundation): what is sent is
/// exactly what is written in the encoders, which matters for redaction.
public indirect enum AdminJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([AdminJSON])
    /// Keys in the order given (stable output, readable diffs).
    case object([(String, AdminJSON)])

    public static func == (lhs: AdminJSON, rhs: AdminJSON) -> Bool {
        lhs.rendered == rhs.rendered
    }

    /// `nil` as `null`.
    static func optional(_ value: String?) -> AdminJSON { value.map(AdminJSON.string) ?? .null }
    static func optional(_ value: Int?) -> AdminJSON { value.map(AdminJSON.int) ?? .null }

    /// Compact JSON text (RFC 8259).
    public var rendered: String {
        var output = ""
        self.render(into: &output)
        return output
    }

    private func render(into output: inout String) {
        switch self {
        case .null:
            output += "null"
        case .bool(let flag):
            output += flag ? "true" : "false"
        case .int(let number):
            output += String(number)
        case .double(let number):
            // RFC 8259 §6 has no NaN or infinity.
            if number.isFinite {
                output += number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
            } else {
                output += "null"
            }
        case .string(let text):
            Self.quote(text, into: &output)
        case .array(let items):
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += "," }
                item.render(into: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { output += "," }
                Self.quote(key, into: &output)
                output += ":"
                value.render(into: &output)
            }
            output += "}"
        }
    }

    /// A JSON string literal (RFC 8259 §7). U+2028 and U+2029 are escaped too, so the
    /// text is also a valid JavaScript literal.
    static func quote(_ text: String, into output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{2028}", "\u{2029}":
                output += Self.unicodeEscape(scalar.value)
            default:
                if scalar.value < 0x20 {
                    output += Self.unicodeEscape(scalar.value)
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }

    private static func unicodeEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
