/// Names for the fields a reverse proxy adds so the origin can see who the client was:
/// `X-Forwarded-For`, `X-Forwarded-Proto`, `X-Forwarded-Host` (de-facto, as nginx and
/// most proxies send them; RFC 7239 §1 describes them as the unstandardised predecessors
/// of `Forwarded`) and `Via` (RFC 9110 §7.6.3). The fields themselves are written by
/// `WireHeadWriter` in PorticoProxy, straight into the upstream head.
public enum ForwardedHeaders {
    /// The scheme the client used to reach Portico (`X-Forwarded-Proto`).
    public enum Proto: String, Sendable {
        case http
        case https
    }
}
