import NIOCore
import NIOHTTP1
import PorticoCache
import PorticoCore

/// The response side of the shared cache: store what may be stored (RFC 9111 §3)
/// while it streams to the client, freshen on 304 (§4.3.4), serve stale on errors
/// (RFC 5861 §4), invalidate after unsafe methods (§4.4), and refresh in the
/// background after a stale-while-revalidate hit (RFC 5861 §3).
extension DownstreamHandler {
    /// Looks at the final response head first. Returns true when the cache took the
    /// response over (a 304 that freshens the stored entry, an error answered with a
    /// stale entry, or a background refresh): nothing of it goes to the client as is.
    func cacheInterceptsHead(_ exchange: Exchange, _ state: CacheExchange, head: ParsedResponseHead, framing: ResponseFraming) -> Bool {
        let now = Self.wallClock()
        state.forwardStatus = head.status
        let responseHeaders = HeaderList(parsed: head)

        if state.invalidatesOnSuccess {
            self.invalidate(state, status: head.status, responseHeaders: responseHeaders)
            return false
        }
        if let entry = state.storedEntry {
            if head.status == 304 {
                // §4.3.4: the stored response, with the 304's fields, is the answer.
                let freshened = CachePolicy.freshen(
                    entry.response, with: responseHeaders, requestTime: state.requestTime, responseTime: now
                )
                let updated = CacheEntry(key: entry.key, variantKey: entry.variantKey, response: freshened, body: entry.body)
                state.cache.storage.insert(updated)
                state.freshenedEntry = updated
                state.stored = true
                if !state.isBackgroundRefresh { state.outcome = .revalidated }
                return true
            }
            if head.status >= 500, !state.isBackgroundRefresh,
                CachePolicy.mayServeStaleOnError(request: state.requestHeaders, response: entry.response, now: now, options: state.options)
            {
                state.outcome = .stale
                state.detail = "stale-if-error"
                self.abandonUpstream(exchange)
                self.endAttempt(exchange)
                self.serveStored(exchange, state, entry: entry, now: now)
                return true
            }
            if !state.isBackgroundRefresh { state.outcome = .expired }
        }
        self.startCapture(exchange, state, head: head, responseHeaders: responseHeaders, now: now)
        if state.isBackgroundRefresh {
            exchange.bodyTransform = ResponseBodyTransform(
                upstreamChunked: framing == .chunked, capture: exchange.bodyTransform?.capture, encoder: nil,
                chunkedOutput: false, discardOutput: true
            )
            return true
        }
        return false
    }

    /// Starts collecting the body when the response may be stored.
    private func startCapture(
        _ exchange: Exchange,
        _ state: CacheExchange,
        head: ParsedResponseHead,
        responseHeaders: HeaderList,
        now: Double
    ) {
        guard exchange.method == .GET else {
            // A HEAD is answered from a stored GET but never stored itself.
            self.collapseNotStored(state)
            return
        }
        if state.directives.noStore {
            state.detail = "request-no-store"
            if state.outcome == .miss { state.outcome = .uncacheable }
            self.collapseNotStored(state)
            return
        }
        var storability = CachePolicy.storability(
            requestMethod: "GET", requestHeaders: state.requestHeaders, status: head.status,
            responseHeaders: responseHeaders, options: state.options
        )
        if storability == .storable, Self.setsCookieWithoutSharedConsent(responseHeaders) {
            storability = .notStorable(reason: "set-cookie")
        }
        guard case .storable = storability,
            let variantKey = CachePolicy.variantKey(responseHeaders: responseHeaders, request: state.requestHeaders)
        else {
            if case .notStorable(let reason) = storability { state.detail = reason } else { state.detail = "vary-star" }
            if state.outcome == .miss { state.outcome = .uncacheable }
            // The origin answered a revalidation with a new response that may not be
            // stored: the old one is outdated (§4.3.3). A 5xx is not a new version of
            // the resource, so the stored one stays (for stale-if-error later).
            if let entry = state.storedEntry, head.status < 500 {
                state.cache.storage.remove(primaryKey: entry.key.primary, variantKey: entry.variantKey)
            }
            self.collapseNotStored(state)
            return
        }
        let stored = StoredResponse(
            status: head.status, reason: head.reason, headers: CachePolicy.fieldsToStore(responseHeaders),
            requestTime: state.requestTime, responseTime: now
        )
        state.stored = true
        let capture = CacheCapture(
            key: state.key, variantKey: variantKey, response: stored, limit: state.cache.config.maxObjectBytes
        )
        exchange.bodyTransform = ResponseBodyTransform(
            upstreamChunked: head.framing == .chunked, capture: capture, encoder: nil, chunkedOutput: false,
            discardOutput: false
        )
    }

    /// A `Set-Cookie` response is stored only when the origin says shared caches may
    /// (`public` or `s-maxage`). RFC 9111 does not forbid storing it (RFC 6265 §7.1
    /// leaves it to `Cache-Control`), but serving one visitor's session cookie to
    /// every other is the classic shared-cache leak; nginx refuses these by default too.
    static func setsCookieWithoutSharedConsent(_ headers: HeaderList) -> Bool {
        guard headers.contains("set-cookie") else { return false }
        let directives = headers.listElements("cache-control").map { $0.lowercased() }
        return !directives.contains { $0 == "public" || $0.hasPrefix("s-maxage") }
    }

    /// Waiting requests need not wait for a body that will not be stored.
    private func collapseNotStored(_ state: CacheExchange) {
        guard state.isCollapseLeader else { return }
        state.isCollapseLeader = false
        state.stored = false
        state.cache.collapser.complete(key: state.key.primary, outcome: .notStored)
    }

    /// RFC 9111 §4.4: a non-error response to an unsafe request invalidates the target
    /// and the same-origin `Location` / `Content-Location` URIs.
    private func invalidate(_ state: CacheExchange, status: Int, responseHeaders: HeaderList) {
        let targets = CachePolicy.invalidationTargets(
            method: exchange?.method.rawValue ?? "POST", status: status, requestURL: state.key.url,
            responseHeaders: responseHeaders
        )
        for url in targets {
            let key = CacheKey(url: url, additions: state.key.additions)
            state.cache.storage.removeVariants(for: key.primary)
        }
    }

    /// The upstream response ended: store what was collected, serve a freshened entry,
    /// or finish a background refresh. Returns true when the exchange was finished here.
    func cacheResponseEnded(_ exchange: Exchange, _ state: CacheExchange) -> Bool {
        if let transform = exchange.bodyTransform, let capture = transform.capture {
            if let entry = capture.makeEntry(), state.cache.storage.insert(entry) {
                state.cache.countStored(bytes: entry.size)
                if state.isCollapseLeader {
                    state.isCollapseLeader = false
                    state.cache.collapser.complete(key: state.key.primary, outcome: .stored)
                }
            } else {
                state.stored = false
                state.detail = "too-large"
                self.collapseNotStored(state)
            }
            transform.capture = nil
        }
        if state.isBackgroundRefresh {
            self.finishBackgroundRefresh(exchange)
            return true
        }
        if let fresh = state.freshenedEntry, !exchange.responseStarted {
            state.freshenedEntry = nil
            self.releaseUpstream(of: exchange)
            self.endAttempt(exchange)
            self.serveStored(exchange, state, entry: fresh, now: Self.wallClock())
            return true
        }
        return false
    }

    /// No upstream could answer (or every attempt failed): a stored entry may still be
    /// served (RFC 5861 §4 `stale-if-error`, or `stale_if_upstream_down`). Returns true
    /// when it was.
    func cacheAnswersFailure(_ exchange: Exchange, status: HTTPResponseStatus) -> Bool {
        guard let state = exchange.cache else { return false }
        if state.isBackgroundRefresh {
            self.finishBackgroundRefresh(exchange)
            return true
        }
        guard let entry = state.storedEntry, status.code >= 500, !exchange.responseStarted else { return false }
        let now = Self.wallClock()
        guard CachePolicy.mayServeStaleOnError(request: state.requestHeaders, response: entry.response, now: now, options: state.options)
        else { return false }
        state.outcome = .stale
        state.detail = "stale-if-error"
        self.serveStored(exchange, state, entry: entry, now: now)
        return true
    }

    /// After a stale-while-revalidate hit: the same exchange asks the origin again
    /// (with validators), and the answer goes to the store only. The client already
    /// has its response; on HTTP/1.1 a next request on the connection waits for this.
    func refreshInBackground(_ exchange: Exchange, _ state: CacheExchange, entry: CacheEntry) {
        // The stale answer may have become a local one (412, 416) that already finished.
        guard self.context != nil, self.exchange === exchange, exchange.responseComplete else { return }
        guard exchange.method == .GET else {
            self.finishBackgroundRefresh(exchange)
            return
        }
        // One refresh per key at a time: a request that finds one running does nothing.
        let role = state.cache.collapser.join(key: state.key.primary) { _ in }
        guard case .leader = role else {
            if case .follower(let id) = role { state.cache.collapser.leave(key: state.key.primary, id: id) }
            self.finishBackgroundRefresh(exchange)
            return
        }
        state.isCollapseLeader = true
        state.phase = .refreshingInBackground
        state.storedEntry = entry
        state.requestTime = Self.wallClock()
        self.addValidators(exchange, for: entry)
        self.forwardToUpstream(exchange)
    }

    /// The background refresh is over (stored, freshened, or failed): the connection
    /// goes on with its next request, or closes if it was to close.
    func finishBackgroundRefresh(_ exchange: Exchange) {
        guard self.exchange === exchange else { return }
        // Back to the pool if it finished cleanly, else closed (releaseUpstream decides).
        self.releaseUpstream(of: exchange)
        self.endAttempt(exchange)
        self.releaseCacheState(exchange)
        if exchange.closeAfterResponse, let context = self.context {
            self.closeAfterLastResponse(context)
            return
        }
        self.exchangeFinished()
    }
}
