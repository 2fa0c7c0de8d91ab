/// RFC 9111 §3: whether a shared cache may store a response.
///
/// Reasons are short tokens that go to `Cache-Status` `detail=` and logs.
public enum StorabilityRules {
    /// Final statuses Portico understands and stores (§3 "the response status code is
    /// final" and "understood"): the heuristically cacheable ones of RFC 9110 §15.1
    /// without 206 (partial content is not stored or combined, §3.3/§3.4), plus 302
    /// and 307, which are storable with explicit freshness.
    public static let storableStatuses: Set<Int> = [
        200, 203, 204, 300, 301, 302, 307, 308, 404, 405, 410, 414, 501,
    ]

    public static func evaluate(
        requestMethod: String,
        requestHeaders: HeaderList,
        status: Int,
        responseHeaders: HeaderList
    ) -> Storability {
        // §3: "the request method is understood by the cache" — Portico stores GET
        // only; a HEAD is answered from the GET's entry instead (§4).
        guard requestMethod == "GET" else { return .notStorable(reason: "method") }
        // §3: final, understood status. With `must-understand` (§5.2.2.3) the status
        // must be understood, which every status in the set is.
        guard Self.storableStatuses.contains(status) else { return .notStorable(reason: "status") }
        let response = CacheControlDirectives(responseHeaders)
        let request = CacheControlDirectives(requestHeaders)
        // §5.2.1.5: the request's `no-store`.
        if request.noStore { return .notStorable(reason: "request-no-store") }
        // §5.2.2.5, with §5.2.2.3: `must-understand` makes a cache that understands the
        // status ignore `no-store`.
        if response.noStore, !response.mustUnderstand { return .notStorable(reason: "no-store") }
        // §5.2.2.7: unqualified `private` (a qualified one only drops the named fields,
        // `FieldsToStore`).
        if response.isPrivate { return .notStorable(reason: "private") }
        // §3.5: a request with credentials only when the response explicitly allows
        // shared caching.
        if requestHeaders.contains("authorization"),
            !(response.mustRevalidate || response.isPublic || response.sMaxAge != nil)
        {
            return .notStorable(reason: "authorization")
        }
        // §4.1: `Vary: *` always fails to match, so storing it only wastes space
        // (deliberate: storable per §3, never stored by Portico).
        if responseHeaders.listElements("vary").contains("*") { return .notStorable(reason: "vary-star") }
        // §3: explicit expiration, `public`, or a heuristically cacheable status.
        let hasExplicitExpiry =
            responseHeaders.contains("expires") || response.maxAge != nil || response.sMaxAge != nil
        guard
            hasExplicitExpiry || response.isPublic || Freshness.heuristicallyCacheableStatuses.contains(status)
        else {
            return .notStorable(reason: "no-freshness")
        }
        return .storable
    }
}
