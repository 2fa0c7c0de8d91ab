/// Weak validators for compressed representations (RFC 9110 §8.8.3).
///
/// A strong ETag promises byte-for-byte identity; the compressed body differs from the
/// origin's (and from another coding's), and a level or library change alters it again.
/// Reusing the strong ETag would let a client or cache combine ranges of different
/// bytes or revalidate the wrong representation. Weakening keeps `If-None-Match`
/// revalidation working (weak comparison, §8.8.3.2) — nginx does the same when gzipping.
public enum ETagWeakening {
    /// `W/"x"` for a strong `"x"`; a weak ETag is returned as it is. An unquoted value
    /// (not valid, but some origins send one) is quoted and weakened.
    public static func weaken(_ etag: String) -> String {
        let trimmed = FieldListParsing.trimmingOWS(etag[...])
        if trimmed.hasPrefix("W/") { return String(trimmed) }
        if trimmed.hasPrefix("\"") { return "W/" + trimmed }
        return "W/\"" + trimmed + "\""
    }
}
