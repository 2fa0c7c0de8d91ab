import PorticoCore

/// What a listener's TLS settings mean for its requests (the handshake itself is set up
/// by the server, `ListenerTLSContexts`): the HTTPS redirect of a cleartext listener,
/// the HSTS field of a TLS listener, and the header carrying a client certificate's
/// subject. Compiled with the `ListenerRuntime`, read per request without locks.
struct ListenerTLSPolicy: Sendable {
    /// `redirect_https` of a cleartext listener.
    let redirectHTTPS: HTTPSRedirect?
    /// `Strict-Transport-Security` for every response of a TLS listener with `hsts`
    /// (empty otherwise); a shared array, so adding it to a response allocates nothing.
    let hstsFields: [(String, String)]
    /// `client_auth.subject_header` of a TLS listener.
    let clientSubjectHeader: String?
    /// Anything to do before routing.
    let hasRequestHooks: Bool

    init(config: ListenerConfig) {
        self.redirectHTTPS = config.tls == nil ? config.redirectHTTPS : nil
        if let hsts = config.tls?.hsts {
            self.hstsFields = [("Strict-Transport-Security", hsts.headerValue)]
        } else {
            self.hstsFields = []
        }
        self.clientSubjectHeader = config.tls?.clientAuth?.subjectHeader
        self.hasRequestHooks = self.redirectHTTPS != nil || !self.hstsFields.isEmpty
    }
}
