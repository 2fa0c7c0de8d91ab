import NIOCore

/// A response head as the cache keeps it, with the clock readings RFC 9111 §4.2.3
/// needs to compute its age later.
public struct StoredResponse: Sendable, Equatable {
    public var status: Int
    public var reason: String
    /// The response's fields as received, minus hop-by-hop fields (RFC 9111 §3.1) and
    /// framing (`Transfer-Encoding`); `Content-Length` is the stored body's length.
    public var headers: HeaderList
    /// `request_time`: when the request that produced it was sent (seconds since 1970).
    public var requestTime: Double
    /// `response_time`: when its head was received (seconds since 1970).
    public var responseTime: Double

    public init(status: Int, reason: String, headers: HeaderList, requestTime: Double, responseTime: Double) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.requestTime = requestTime
        self.responseTime = responseTime
    }
}

/// One stored response: a variant (RFC 9111 §4.1) of a primary key, with its complete body.
///
/// Immutable once made, so workers on every event loop can share it without locks;
/// an update (a 304's new fields, §3.2) stores a new entry in its place.
public final class CacheEntry: Sendable {
    public let key: CacheKey
    /// The request's values of the fields the response's `Vary` names, normalised
    /// (`CachePolicy.variantKey`); "" when there is no `Vary`. Compressed copies made
    /// by Portico add a `\u{0}ce=<coding>` suffix (`withCodingSuffix`).
    public let variantKey: String
    public let response: StoredResponse
    /// The whole body (a cache entry is only stored once complete).
    public let body: ByteBuffer

    public init(key: CacheKey, variantKey: String, response: StoredResponse, body: ByteBuffer) {
        self.key = key
        self.variantKey = variantKey
        self.response = response
        self.body = body
    }

    /// Bytes this entry counts for against a store's bound: body, fields and keys.
    public var size: Int {
        self.body.readableBytes + self.response.headers.wireSize + self.key.primary.utf8.count
            + self.variantKey.utf8.count + 64
    }

    /// The variant key of a copy of this entry encoded with `coding` by Portico.
    public static func withCodingSuffix(_ variantKey: String, coding: String) -> String {
        variantKey + "\u{0}ce=" + coding
    }
}
