/// `WWW-Authenticate` field values for 401 responses.
public enum WWWAuthenticate {
    /// `Basic realm="..."` (RFC 7617 §2), with `, charset="UTF-8"` (§2.1) when requested: it
    /// tells clients to send UTF-8 credentials, which is what ``BasicCredentials`` decodes.
    public static func basic(realm: String, charsetUTF8: Bool = false) -> String {
        var value = "Basic realm=\(quoted(realm))"
        if charsetUTF8 { value += ", charset=\"UTF-8\"" }
        return value
    }

    /// `Bearer realm="..."[, error="...", error_description="..."]` (RFC 6750 §3). Per §3.1
    /// a request without credentials gets no error attribute: pass `error: nil`.
    public static func bearer(realm: String, error: String? = nil, errorDescription: String? = nil) -> String {
        var value = "Bearer realm=\(quoted(realm))"
        if let error {
            value += ", error=\"\(restricted(error))\""
            if let errorDescription {
                value += ", error_description=\"\(restricted(errorDescription))\""
            }
        }
        return value
    }

    /// The bearer challenge for a refused token: `error="invalid_token"` with the reason's
    /// fixed description, or only the realm when there was no token.
    public static func bearer(realm: String, for reason: JWTInvalidReason) -> String {
        bearer(realm: realm, error: reason.errorCode, errorDescription: reason.errorDescription)
    }

    /// RFC 9110 §5.6.4 quoted-string: `"` and `\` escaped; control characters (CR and LF
    /// among them, which would split the header) removed.
    static func quoted(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"", "\\":
                output.unicodeScalars.append("\\")
                output.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                continue
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }

    /// RFC 6750 §3: `error` and `error_description` values are limited to
    /// %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash, ASCII only); other characters
    /// are dropped.
    static func restricted(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { scalar in
            (0x20...0x7E).contains(scalar.value) && scalar != "\"" && scalar != "\\"
        }))
    }
}
