import NIOCore
import NIOHTTP1
import NIOSSL
import PorticoCore

/// TLS-related request handling: HTTPS redirects (listener- and route-level), HSTS
/// (only on responses that travel over TLS, RFC 6797 §7.2), and the verified client
/// certificate's subject for mutual TLS.
extension DownstreamHandler {
    /// Listener-level hooks, before routing. Returns true when the request was answered
    /// (a redirect, or 400 when there is no host to redirect to).
    func applyListenerTLSPolicy(_ exchange: Exchange, host: Substring?, target: Substring) -> Bool {
        let policy = self.listener.tlsPolicy
        if !policy.hstsFields.isEmpty {
            exchange.responseExtraFields += policy.hstsFields
        }
        if let redirect = policy.redirectHTTPS, !self.requestArrivedOverTLS(exchange) {
            self.redirectToHTTPS(exchange, redirect, host: host, target: target)
            return true
        }
        return false
    }

    /// Route-level hooks, once the route is known. Returns true when answered.
    func applyRouteTLSPolicy(_ exchange: Exchange, route: CompiledRoute, host: Substring?, target: Substring) -> Bool {
        if let redirect = route.redirectHTTPS, !self.requestArrivedOverTLS(exchange) {
            self.redirectToHTTPS(exchange, redirect, host: host, target: target)
            return true
        }
        if !self.listener.tlsPolicy.hstsFields.isEmpty, route.responseHeaders.set.contains(where: { $0.name.lowercased() == "strict-transport-security" }) {
            // The route's own HSTS (security_headers or response_headers) wins: a second
            // field would be ignored by browsers anyway (RFC 6797 §8.1).
            exchange.responseExtraFields.removeAll { $0.0 == "Strict-Transport-Security" }
        }
        return false
    }

    /// 301 for GET/HEAD, 308 otherwise, to `https://host[:port]/target`.
    private func redirectToHTTPS(_ exchange: Exchange, _ redirect: HTTPSRedirect, host: Substring?, target: Substring) {
        guard let host, let location = redirect.location(host: host, target: target) else {
            self.respondLocally(exchange, error: .badRequest, detail: "no host to redirect to")
            return
        }
        let status = HTTPSRedirect.status(method: Substring(exchange.method.rawValue))
        self.respondLocally(
            exchange,
            status: HTTPResponseStatus(statusCode: status),
            body: ByteBuffer(),
            contentType: nil,
            location: location
        )
    }

    /// Whether the client's request travelled over TLS: this listener terminates TLS, or
    /// a trusted proxy (`security.trusted_proxies`) says so with `X-Forwarded-Proto:
    /// https` (TLS terminated in front of Portico: no redirect loop, HSTS still sent).
    func requestArrivedOverTLS(_ exchange: Exchange) -> Bool {
        if self.scheme == .https { return true }
        guard let index = exchange.head.fieldIndex(named: "x-forwarded-proto"), self.peerIsTrustedProxy else { return false }
        return exchange.head.value(at: index, equalsIgnoringCase: "https")
    }

    /// The route's response rules for a forwarded response. (Optional chaining reads the
    /// one field; binding `exchange.route` would copy, and retain, the whole route.)
    func responseRules(for exchange: Exchange) -> CompiledHeaderRules {
        if exchange.route?.cleartextResponse != nil, !self.requestArrivedOverTLS(exchange) {
            return exchange.route?.cleartextResponse?.rules ?? .none
        }
        return exchange.route?.responseRules ?? .none
    }

    /// The route's response rules for a response Portico generates.
    func localResponseRules(for exchange: Exchange) -> HeaderRules? {
        if exchange.route?.cleartextResponse != nil, !self.requestArrivedOverTLS(exchange) {
            return exchange.route?.cleartextResponse?.headers
        }
        return exchange.route?.responseHeaders
    }

    /// `client_auth.subject_header`: the verified client certificate's subject, or an
    /// empty value (which only removes the client's own fields of that name).
    func addClientCertificateField(_ exchange: Exchange) {
        guard let header = self.listener.tlsPolicy.clientSubjectHeader else { return }
        exchange.requestExtraFields.append((header, self.tlsClientSubject ?? ""))
    }

    /// The subject (RFC 4514) of the certificate the client presented, read once per
    /// connection. NIOSSL only completes a handshake with a presented certificate if it
    /// verified against `client_auth.ca` (both `require` and `request` modes), so a
    /// certificate here is a verified one. An HTTP/2 stream's TLS handler is on its
    /// parent (the connection) channel.
    static func peerCertificateSubject(of channel: any Channel) -> String? {
        for candidate in [channel, channel.parent].compactMap({ $0 }) where candidate.eventLoop.inEventLoop {
            guard let handler = try? candidate.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self) else { continue }
            guard let certificate = handler.peerCertificate, let der = try? certificate.toDERBytes() else { return nil }
            return TLSCertificateFiles.subject(derEncoded: der)
        }
        return nil
    }
}
