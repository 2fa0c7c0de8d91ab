/// RFC 9111 §4.3.1 (validators sent when revalidating) and §4.3.4/§3.2 (freshening a
/// stored response with a 304).
public enum Validation {
    /// `If-None-Match` from the stored `ETag`, `If-Modified-Since` from the stored
    /// `Last-Modified` (§4.3.1). Both when both exist: the origin gives `If-None-Match`
    /// precedence (RFC 9110 §13.2.2), and an HTTP/1.0 origin still gets a date.
    public static func fields(for response: StoredResponse) -> HeaderList {
        var fields = HeaderList()
        if let etag = response.headers.first("etag") { fields.add("If-None-Match", String(etag.trimmingSpaces())) }
        if let lastModified = response.headers.first("last-modified") {
            fields.add("If-Modified-Since", String(lastModified.trimmingSpaces()))
        }
        return fields
    }

    /// Stored fields a 304 never replaces (§3.2): `Content-Length` (the 304 describes
    /// no body), and `Content-Encoding`/`Content-Range`, which the stored body depends
    /// on ("header fields that the cache's stored response depends upon"). Hop-by-hop
    /// fields are already dropped by `FieldsToStore`.
    public static let fieldsKeptOnUpdate: Set<String> = ["content-length", "content-encoding", "content-range"]

    /// `stored` with every other field of the 304 replacing the stored lines of that
    /// name (§3.2, §4.3.4), and the new clock readings for §4.2.3.
    public static func freshen(
        _ stored: StoredResponse,
        with notModifiedHeaders: HeaderList,
        requestTime: Double,
        responseTime: Double
    ) -> StoredResponse {
        let update = FieldsToStore.filter(notModifiedHeaders).fields.filter {
            !Self.fieldsKeptOnUpdate.contains($0.name.lowercased())
        }
        let replaced = Set(update.map { $0.name.lowercased() })
        var headers = HeaderList(stored.headers.fields.filter { !replaced.contains($0.name.lowercased()) })
        headers.fields.append(contentsOf: update)
        var result = stored
        // The new Cache-Control may name fields (`private="…"`) that must now go too.
        result.headers = FieldsToStore.filter(headers)
        result.requestTime = requestTime
        result.responseTime = responseTime
        return result
    }
}
