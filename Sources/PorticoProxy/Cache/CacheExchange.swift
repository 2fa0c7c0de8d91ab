import NIOCore
import PorticoCache
import PorticoCore

/// What the cache knows and decided about one request on a route with `cache:`.
///
/// Lives on the exchange (nil on other routes); confined to the connection's event loop.
final class CacheExchange {
    enum Phase {
        /// Not looked up yet (guards may still refuse the request).
        case pending
        /// Waiting for another request's fetch of the same key (request collapsing).
        case waitingForCollapse(id: UInt64)
        /// Forwarded (a miss, a revalidation, or a bypass).
        case forwarded
        /// The client was answered from storage; nothing else happens.
        case served
        /// The client was answered with a stale entry; the exchange now refreshes it
        /// upstream, and the response goes to the store only (stale-while-revalidate).
        case refreshingInBackground
    }

    /// The store this request uses (kept: a reload may swap the snapshot's meanwhile).
    let cache: ResponseCache
    let options: RouteCacheConfig
    let key: CacheKey
    /// The request's fields, for Vary, directives and conditionals.
    let requestHeaders: HeaderList
    var directives = RequestCacheDirectives()
    var phase: Phase = .pending
    var outcome: CacheOutcome = .bypass
    /// A stored response that matched but needed validation: the validators went
    /// upstream; a 304 serves it, a failure may serve it stale.
    var storedEntry: CacheEntry?
    /// Set when a 304 freshened `storedEntry`: served when the upstream response ends.
    var freshenedEntry: CacheEntry?
    /// This request fetches the key for waiting ones: it must `complete` the collapser.
    var isCollapseLeader = false
    var collapseTimeout: Scheduled<Void>?
    /// A collapsed request already waited once: it forwards instead of waiting again.
    var collapseDone = false
    /// `request_time` (RFC 9111 §4.2.3): when the upstream request was sent.
    var requestTime: Double = 0
    /// For `Cache-Status`: the origin's status when forwarded, whether it was stored,
    /// and why not.
    var forwardStatus: Int?
    var stored = false
    var detail: String?
    /// An unsafe method: a 2xx/3xx response invalidates the target (RFC 9111 §4.4).
    var invalidatesOnSuccess = false

    init(cache: ResponseCache, options: RouteCacheConfig, key: CacheKey, requestHeaders: HeaderList) {
        self.cache = cache
        self.options = options
        self.key = key
        self.requestHeaders = requestHeaders
    }

    var isWaitingForCollapse: Bool {
        if case .waitingForCollapse = self.phase { return true }
        return false
    }

    var isBackgroundRefresh: Bool {
        if case .refreshingInBackground = self.phase { return true }
        return false
    }
}

/// A response body being collected for the store while it streams to the client
/// (RFC 9111 §3: only a complete response is stored; a body past `max_object_size`
/// stops the collection and the response just passes).
struct CacheCapture {
    let key: CacheKey
    let variantKey: String
    var response: StoredResponse
    var body = ByteBuffer()
    let limit: Int
    var overflowed = false

    init(key: CacheKey, variantKey: String, response: StoredResponse, limit: Int) {
        self.key = key
        self.variantKey = variantKey
        self.response = response
        self.limit = limit
    }

    mutating func append(_ data: ByteBuffer) {
        guard !self.overflowed else { return }
        if self.body.readableBytes + data.readableBytes > self.limit {
            self.overflowed = true
            self.body = ByteBuffer()
            return
        }
        var data = data
        self.body.writeBuffer(&data)
    }

    /// The entry to store: the stored `Content-Length` is the collected body's.
    func makeEntry() -> CacheEntry? {
        guard !self.overflowed else { return nil }
        var response = self.response
        response.headers.set("Content-Length", String(self.body.readableBytes))
        return CacheEntry(key: self.key, variantKey: self.variantKey, response: response, body: self.body)
    }
}
