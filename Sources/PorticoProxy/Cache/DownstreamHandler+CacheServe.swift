import NIOCore
import NIOHTTP1
import PorticoCache
import PorticoCompression
import PorticoCore

/// Answering from storage: a hit, a stale response, a freshened one after a 304;
/// with the client's own conditionals (RFC 9111 §4.3.2), `Range` (RFC 9110 §14),
/// HEAD from a stored GET, and the right content coding for the client.
extension DownstreamHandler {
    /// Fields a 304 carries (RFC 9110 §15.4.5), lower-case.
    private static let notModifiedFields: Set<String> = [
        "cache-control", "content-location", "date", "etag", "expires", "vary", "last-modified",
    ]

    /// Writes `entry` to the client as the answer to the exchange. With
    /// `keepExchange` (stale-while-revalidate) the exchange stays open afterwards for
    /// the background refresh; otherwise the response finishes as usual.
    /// `age` and `ttl` are passed when the caller has them already (a lookup computed
    /// them), saving a second reading of the stored dates on every hit.
    func serveStored(
        _ exchange: Exchange,
        _ state: CacheExchange,
        entry stored: CacheEntry,
        now: Double,
        age knownAge: Double? = nil,
        ttl knownTTL: Double? = nil,
        keepExchange: Bool = false
    ) {
        guard self.context != nil, !exchange.responseStarted else { return }
        state.phase = .served
        let age = knownAge ?? CachePolicy.currentAge(stored.response, now: now)
        let ttl = knownTTL ?? (CachePolicy.freshnessLifetime(stored.response, options: state.options) - age)
        var entry = stored
        var response = stored.response
        let hasRange = state.requestHeaders.contains("range")
        if let compression = exchange.route?.compression, !hasRange,
            CompressionEligibility.shouldCompress(
                status: response.status, isHEAD: exchange.method == .HEAD,
                contentType: response.headers.first("content-type"),
                contentEncoding: response.headers.first("content-encoding"),
                cacheControl: response.headers.combined("cache-control"),
                contentLength: stored.body.readableBytes, config: compression
            )
        {
            let coding = ContentNegotiation.choose(
                acceptEncoding: state.requestHeaders.combined("accept-encoding"), offered: compression.algorithms
            )
            if let coding, let copy = self.compressedCopy(of: stored, coding: coding, config: compression, cache: state.cache) {
                entry = copy
                response = copy.response
            } else {
                response.headers.set("Vary", VaryField.addingAcceptEncoding(to: response.headers.combined("vary")))
            }
        }
        let statusFields = self.cacheStatusFields(state, ttl: ttl)
        let ageSeconds = max(0, Int(age.rounded(.down)))

        switch CachePolicy.evaluateConditional(request: state.requestHeaders, method: exchange.method.rawValue, response: response) {
        case .preconditionFailed:
            self.respondLocally(exchange, error: .preconditionFailed, extraFields: statusFields)
            return
        case .notModified:
            let head = StoredHeadEncoder.head(
                for: response, status: 304, reason: "Not Modified", age: ageSeconds, contentLength: nil,
                extra: statusFields, keeping: Self.notModifiedFields
            )
            self.writeStored(exchange, head: head, body: nil, keepExchange: keepExchange)
            return
        case .unconditional:
            break
        }

        var status = response.status
        var reason = response.reason
        var body = entry.body
        var extra = statusFields
        if hasRange, exchange.method == .GET, status == 200 {
            let length = body.readableBytes
            switch CachePolicy.range(
                state.requestHeaders.first("range"), ifRange: state.requestHeaders.first("if-range"),
                response: response, length: length
            ) {
            case .full:
                break
            case .partial(let first, let last):
                status = 206
                reason = "Partial Content"
                body = body.getSlice(at: body.readerIndex + first, length: last - first + 1) ?? ByteBuffer()
                extra.append(("Content-Range", "bytes \(first)-\(last)/\(length)"))
            case .unsatisfiable:
                self.respondLocally(
                    exchange, error: HTTPResponseStatus(statusCode: 416),
                    extraFields: statusFields + [("Content-Range", "bytes */\(length)")]
                )
                return
            }
        }
        let head = StoredHeadEncoder.head(
            for: response, status: status, reason: reason, age: ageSeconds, contentLength: body.readableBytes,
            extra: extra
        )
        self.writeStored(exchange, head: head, body: exchange.method == .HEAD ? nil : body, keepExchange: keepExchange)
    }

    private func writeStored(_ exchange: Exchange, head: ParsedResponseHead?, body: ByteBuffer?, keepExchange: Bool) {
        guard let context = self.context else { return }
        guard let head else {
            // Stored fields that no longer parse (cannot happen for what Portico stored).
            self.respondLocally(exchange, error: .internalServerError)
            return
        }
        if self.isQuiescing { exchange.closeAfterResponse = true }
        let clientSpeaks11 = exchange.version.minor >= 1
        let connection: WireHeadWriter.ConnectionHeader =
            exchange.closeAfterResponse ? .close : (clientSpeaks11 ? .none : .keepAlive)
        var out = ByteBuffer()
        WireHeadWriter.writeResponse(
            head,
            framing: .asReceived,
            connection: connection,
            rules: self.responseRules(for: exchange),
            extraLines: self.extraResponseLines(for: exchange),
            requestID: self.responseRequestID(exchange, status: head.status),
            into: &out
        )
        exchange.status = head.status
        exchange.responseStarted = true
        context.write(self.wrapOutboundOut(out), promise: nil)
        if let body, body.readableBytes > 0 {
            exchange.bytesSent = body.readableBytes
            context.write(self.wrapOutboundOut(body), promise: nil)
        }
        if keepExchange {
            // The client has its whole response; the exchange goes on upstream alone.
            exchange.responseComplete = true
            self.logAccess(exchange)
            self.worker.metrics.record(exchange)
            if let state = exchange.cache { state.cache.count(state.outcome) }
            context.flush()
            return
        }
        self.finishResponse(exchange)
    }

    /// The stored response encoded with `coding`: made once, on the first hit that
    /// needs it, and stored next to the original (so later hits do not compress again).
    /// Nil when it cannot be made (the original is served instead).
    func compressedCopy(of entry: CacheEntry, coding: ContentCodingName, config: CompressionConfig, cache: ResponseCache)
        -> CacheEntry?
    {
        let variantKey = CacheEntry.withCodingSuffix(entry.variantKey, coding: coding.rawValue)
        if let existing = cache.storage.variants(for: entry.key.primary).first(where: {
            $0.variantKey == variantKey && $0.response.responseTime == entry.response.responseTime
                && $0.response.requestTime == entry.response.requestTime
        }) {
            return existing
        }
        guard let encoder = try? ContentEncoders.make(coding, config: config) else { return nil }
        var output = ByteBuffer()
        do {
            try encoder.encode(entry.body, into: &output)
            try encoder.finish(into: &output)
        } catch {
            return nil
        }
        var response = entry.response
        response.headers.set("Content-Encoding", coding.rawValue)
        response.headers.set("Content-Length", String(output.readableBytes))
        response.headers.set("Vary", VaryField.addingAcceptEncoding(to: response.headers.combined("vary")))
        response.headers.remove("Accept-Ranges")
        if let etag = response.headers.first("etag") {
            response.headers.set("ETag", ETagWeakening.weaken(etag))
        }
        let copy = CacheEntry(key: entry.key, variantKey: variantKey, response: response, body: output)
        cache.storage.insert(copy)
        return copy
    }
}
