import Foundation
import NIOCore
import NIOHTTP1
import PorticoCache
import PorticoCore

/// The request side of the shared cache (RFC 9111 §4): find a stored response for the
/// request, serve it, validate it, or forward (collapsing concurrent misses).
extension DownstreamHandler {
    /// Called once the route is known, on routes with `cache:`: prepares the key.
    func prepareCache(_ exchange: Exchange, route: CompiledRoute, originForm: Substring) {
        guard let options = route.cache, let cache = self.worker.snapshot.cache else { return }
        // Lookups read the request's fields (Vary, directives, conditionals); an unsafe
        // method needs only its key, for invalidation (fields only for `cache.key`).
        let looksUp = exchange.method == .GET || exchange.method == .HEAD
        let requestHeaders =
            looksUp || !options.keyAdditions.isEmpty ? HeaderList(parsed: exchange.head) : HeaderList()
        let scheme = self.requestArrivedOverTLS(exchange) ? "https" : "http"
        let host = (HostHeader.normalizedHost(exchange.host[...]).map(String.init) ?? exchange.host).lowercased()
        let url = scheme + "://" + host + originForm
        let key = CacheKey(url: url, additions: Self.keyAdditions(options.keyAdditions, requestHeaders, exchange))
        exchange.cache = CacheExchange(cache: cache, options: options, key: key, requestHeaders: requestHeaders)
    }

    /// `cache.key` additions, formatted `part=value` and separated by U+0002.
    private static func keyAdditions(_ parts: [CacheKeyPart], _ headers: HeaderList, _ exchange: Exchange) -> String {
        guard !parts.isEmpty else { return "" }
        return parts.map { part -> String in
            switch part {
            case .header(let name):
                return "h:" + name.lowercased() + "=" + (headers.combined(name) ?? "")
            case .cookie(let name):
                let value = headers.all("cookie").lazy.compactMap { CookieHeader.value(named: name, in: $0) }.first
                return "c:" + name + "=" + (value.map(String.init) ?? "")
            case .clientIP:
                return "ip=" + exchange.clientIP
            }
        }.joined(separator: "\u{2}")
    }

    static func wallClock() -> Double {
        Date().timeIntervalSince1970
    }

    /// Decides what the cache does before anything goes upstream. Returns true when the
    /// request was answered (or waits for a collapsed fetch); false to forward it.
    func cacheHandlesRequest(_ exchange: Exchange, _ state: CacheExchange, allowCollapse: Bool = true) -> Bool {
        let cache = state.cache
        switch exchange.method {
        case .GET, .HEAD:
            break
        case .OPTIONS, .TRACE:
            state.outcome = .bypass
            return false
        default:
            state.outcome = .bypass
            state.invalidatesOnSuccess = true
            return false
        }
        if exchange.upgrade != nil || exchange.hasBody {
            state.outcome = .bypass
            state.detail = "request-body"
            return false
        }
        state.directives = CachePolicy.requestDirectives(state.requestHeaders, options: state.options)
        let now = Self.wallClock()
        state.requestTime = now
        if let entry = self.matchingEntry(cache, state) {
            let use = CachePolicy.evaluate(request: state.requestHeaders, response: entry.response, now: now, options: state.options)
            switch use {
            case .fresh(let age, let ttl):
                state.outcome = .hit
                self.serveStored(exchange, state, entry: entry, now: now, age: age, ttl: ttl)
                return true
            case .staleAcceptable(let age, let ttl):
                state.outcome = .stale
                self.serveStored(exchange, state, entry: entry, now: now, age: age, ttl: ttl)
                return true
            case .staleWhileRevalidate(let age, let ttl):
                state.outcome = .stale
                state.detail = "stale-while-revalidate"
                self.serveStored(exchange, state, entry: entry, now: now, age: age, ttl: ttl, keepExchange: true)
                self.refreshInBackground(exchange, state, entry: entry)
                return true
            case .mustRevalidate:
                if state.directives.onlyIfCached {
                    self.answerOnlyIfCached(exchange, state)
                    return true
                }
                state.outcome = .revalidated
                state.storedEntry = entry
                self.addValidators(exchange, for: entry)
                state.phase = .forwarded
                return false
            }
        }
        if state.directives.onlyIfCached {
            self.answerOnlyIfCached(exchange, state)
            return true
        }
        state.outcome = .miss
        state.phase = .forwarded
        if exchange.method == .GET, state.options.collapse, allowCollapse, !state.collapseDone, !state.directives.noStore {
            return self.joinCollapse(exchange, state, cache: cache)
        }
        return false
    }

    /// The stored variant matching the request's `Vary`-named fields (RFC 9111 §4.1),
    /// ignoring Portico's compressed copies.
    func matchingEntry(_ cache: ResponseCache, _ state: CacheExchange) -> CacheEntry? {
        let variants = cache.storage.variants(for: state.key.primary)
        var best: CacheEntry?
        for entry in variants where !entry.variantKey.contains("\u{0}ce=") {
            guard let wanted = CachePolicy.variantKey(responseHeaders: entry.response.headers, request: state.requestHeaders),
                wanted == entry.variantKey
            else { continue }
            // Several matches: the most recent (RFC 9111 §4.1).
            if best == nil || entry.response.responseTime > best!.response.responseTime { best = entry }
        }
        return best
    }

    /// RFC 9111 §5.2.1.7: `only-if-cached` with nothing usable stored is a 504.
    private func answerOnlyIfCached(_ exchange: Exchange, _ state: CacheExchange) {
        state.outcome = .miss
        state.detail = "only-if-cached"
        state.phase = .served
        self.respondLocally(
            exchange, error: .gatewayTimeout, detail: "the response is not in the cache (only-if-cached)",
            extraFields: self.cacheStatusFields(state, ttl: nil)
        )
    }

    /// RFC 9111 §4.3.1: the stored validators replace whatever conditionals the client
    /// sent (its own are answered from the refreshed entry afterwards).
    func addValidators(_ exchange: Exchange, for entry: CacheEntry) {
        let validators = CachePolicy.validationFields(for: entry.response)
        let inm = validators.first("If-None-Match")
        let ims = validators.first("If-Modified-Since")
        exchange.requestExtraFields.append(("If-None-Match", inm ?? ""))
        exchange.requestExtraFields.append(("If-Modified-Since", ims ?? ""))
        exchange.requestExtraFields.append(("If-Match", ""))
        exchange.requestExtraFields.append(("If-Unmodified-Since", ""))
        exchange.requestExtraFields.append(("If-Range", ""))
        exchange.requestExtraFields.append(("Range", ""))
    }

    /// `Cache-Status` (RFC 9211) for this request, if the route sends it.
    func cacheStatusFields(_ state: CacheExchange, ttl: Double?) -> [(String, String)] {
        guard state.options.statusHeader else { return [] }
        let value = CachePolicy.cacheStatusValue(
            outcome: state.outcome, ttl: ttl, forwardStatus: state.forwardStatus, stored: state.stored,
            detail: state.detail
        )
        return [("Cache-Status", value)]
    }

    // MARK: Request collapsing

    private func joinCollapse(_ exchange: Exchange, _ state: CacheExchange, cache: ResponseCache) -> Bool {
        guard let context = self.context else { return false }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let key = state.key.primary
        // The id is only known after `join`; the callback finds the exchange by it.
        let role = cache.collapser.join(key: key) { outcome in
            eventLoop.execute {
                bound.value.collapsedFetchEnded(key: key, outcome: outcome)
            }
        }
        switch role {
        case .leader:
            state.isCollapseLeader = true
            return false
        case .follower(let id):
            state.phase = .waitingForCollapse(id: id)
            let timeout = TimeAmount.milliseconds(Int64(state.options.collapseTimeoutMilliseconds))
            state.collapseTimeout = eventLoop.scheduleTask(in: timeout) {
                bound.value.collapseWaitTimedOut(id: id)
            }
            return true
        }
    }

    /// The fetch this request waited for ended: look again (a hit now), or forward.
    private func collapsedFetchEnded(key: String, outcome: RequestCollapser.Outcome) {
        guard let exchange = self.exchange, let state = exchange.cache, state.isWaitingForCollapse,
            state.key.primary == key
        else { return }
        state.collapseTimeout?.cancel()
        state.collapseTimeout = nil
        state.collapseDone = true
        state.phase = .pending
        self.resumeAfterCollapse(exchange, state)
    }

    private func collapseWaitTimedOut(id: UInt64) {
        guard let exchange = self.exchange, let state = exchange.cache,
            case .waitingForCollapse(let waiting) = state.phase, waiting == id
        else { return }
        let cache = state.cache
        state.collapseTimeout = nil
        // When the leader is completing right now, its callback is on its way instead.
        guard cache.collapser.leave(key: state.key.primary, id: id) else { return }
        state.collapseDone = true
        state.detail = "collapse-timeout"
        state.phase = .pending
        self.resumeAfterCollapse(exchange, state)
    }

    private func resumeAfterCollapse(_ exchange: Exchange, _ state: CacheExchange) {
        if self.cacheHandlesRequest(exchange, state, allowCollapse: false) { return }
        self.forwardToUpstream(exchange)
    }

    /// Ends whatever the cache holds for the exchange: a leader releases its
    /// followers, a waiting follower leaves. Every path that ends an exchange calls it.
    func releaseCacheState(_ exchange: Exchange) {
        guard let state = exchange.cache else { return }
        state.collapseTimeout?.cancel()
        state.collapseTimeout = nil
        let cache = state.cache
        if state.isCollapseLeader {
            state.isCollapseLeader = false
            cache.collapser.complete(key: state.key.primary, outcome: state.stored ? .stored : .notStored)
        }
        if case .waitingForCollapse(let id) = state.phase {
            state.phase = .pending
            cache.collapser.leave(key: state.key.primary, id: id)
        }
    }
}
