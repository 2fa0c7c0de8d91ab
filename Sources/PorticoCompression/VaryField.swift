/// `Vary` on responses that may be compressed (RFC 9110 §12.5.5).
///
/// Whether the body is compressed depends on the request's `Accept-Encoding`, so every
/// response that could have been compressed — including the identity one sent to a
/// client that does not accept a coding — must say so, or a shared cache downstream
/// would hand a gzip body to a client that cannot decode it (nginx's `gzip_vary`).
public enum VaryField {
    /// `existing` with `Accept-Encoding` added, unless it already lists it
    /// (case-insensitively) or is `*` (which already covers everything).
    public static func addingAcceptEncoding(to existing: String?) -> String {
        guard let existing else { return "Accept-Encoding" }
        let members = FieldListParsing.members(existing)
        if members.isEmpty { return "Accept-Encoding" }
        if members.contains(where: { $0 == "*" || $0.lowercased() == "accept-encoding" }) { return existing }
        return FieldListParsing.trimmingOWS(existing[...]) + ", Accept-Encoding"
    }
}
