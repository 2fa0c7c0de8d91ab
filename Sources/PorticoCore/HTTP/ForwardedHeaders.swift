import NIOHTTP1

/// The fields a reverse proxy adds so the origin can see who the client was:
/// `X-Forwarded-For`, `X-Forwarded-Proto`, `X-Forwarded-Host` (de-facto, as nginx and most
/// proxies send them; RFC 7239 §1 describes them as the unstandardised predecessors of
/// `Forwarded`) and `Via` (RFC 9110 §7.6.3).
///
/// Build one value per configuration (it precomputes the `Via` texts) and share it; it is
/// immutable and `Sendable`. Apply it after `HopByHop.strip`, so that a client cannot name
/// these fields in `Connection` to make them disappear.
public struct ForwardedHeaders: Sendable {
    /// The scheme the client used to reach Portico.
    public enum Proto: String, Sendable {
        case http
        case https
    }

    /// The `received-by` pseudonym in `Via` (RFC 9110 §7.6.3 allows a pseudonym in place of
    /// the host name, which avoids disclosing internal host names).
    public let pseudonym: String
    private let via10: String
    private let via11: String

    public init(pseudonym: String = "portico") {
        self.pseudonym = pseudonym
        self.via10 = "1.0 " + pseudonym
        self.via11 = "1.1 " + pseudonym
    }

    /// Edits the request headers about to go upstream.
    ///
    /// - `X-Forwarded-For`: `clientAddress` is appended to any values the client sent, which
    ///   are folded into one field (`a, b, client`); IPv6 addresses are written bare, without
    ///   brackets, as nginx's `$proxy_add_x_forwarded_for` does.
    /// - `X-Forwarded-Proto`: replaced by `proto`; a client-supplied value is never trusted.
    /// - `X-Forwarded-Host`: replaced by `clientHost` (the Host the client sent, port
    ///   included, or the absolute-form authority); removed when `nil`.
    /// - `Via`: `1.0 <pseudonym>` or `1.1 <pseudonym>` appended, from the version Portico
    ///   *received* the request in (RFC 9110 §7.6.3: the received-protocol).
    public func apply(
        to headers: inout HTTPHeaders,
        clientAddress: String,
        proto: Proto,
        clientHost: String?,
        receivedVersion: HTTPVersion
    ) {
        appendForwardedFor(to: &headers, clientAddress: clientAddress)
        headers.replaceOrAdd(name: "X-Forwarded-Proto", value: proto.rawValue)
        if let clientHost {
            headers.replaceOrAdd(name: "X-Forwarded-Host", value: clientHost)
        } else {
            headers.remove(name: "X-Forwarded-Host")
        }
        appendVia(to: &headers, receivedVersion: receivedVersion)
    }

    /// Appends this proxy to `Via` (RFC 9110 §7.6.3), folding any existing `Via` fields into
    /// one. Use it on requests and on responses (with the upstream response's version).
    /// Allocation-free when there is no existing `Via` and the version is 1.0 or 1.1.
    public func appendVia(to headers: inout HTTPHeaders, receivedVersion: HTTPVersion) {
        let entry: String
        if receivedVersion.major == 1, receivedVersion.minor == 1 {
            entry = via11
        } else if receivedVersion.major == 1, receivedVersion.minor == 0 {
            entry = via10
        } else if receivedVersion.minor == 0 {
            entry = "\(receivedVersion.major) \(pseudonym)"  // "2 portico": HTTP/2 has no minor
        } else {
            entry = "\(receivedVersion.major).\(receivedVersion.minor) \(pseudonym)"
        }
        Self.appendToList(&headers, name: "Via", element: entry)
    }

    private func appendForwardedFor(to headers: inout HTTPHeaders, clientAddress: String) {
        var address = clientAddress[...]
        if address.utf8.first == ASCII.openBracket, address.utf8.last == ASCII.closeBracket {
            address = Substring(address.utf8.dropFirst().dropLast())
        }
        Self.appendToList(&headers, name: "X-Forwarded-For", element: address)
    }

    /// Replaces every `name` field with one field holding the existing non-empty values,
    /// comma-separated, followed by `element` (RFC 9110 §5.3: equivalent to the fields
    /// being repeated, but friendlier to origins that read only the first one).
    private static func appendToList(_ headers: inout HTTPHeaders, name: String, element: some StringProtocol) {
        var existingCount = 0
        var existingBytes = 0
        for field in headers where ASCII.equalsIgnoringCase(field.name.utf8, name.utf8) {
            existingCount += 1
            existingBytes += field.value.utf8.count + 2
        }
        if existingCount == 0 {
            headers.add(name: name, value: String(element))
            return
        }
        var combined = ""
        combined.reserveCapacity(existingBytes + element.utf8.count)
        for field in headers where ASCII.equalsIgnoringCase(field.name.utf8, name.utf8) {
            let value = ASCII.trimOWS(field.value[...])
            if value.isEmpty { continue }
            combined += value
            combined += ", "
        }
        combined += element
        headers.replaceOrAdd(name: name, value: combined)
    }
}
