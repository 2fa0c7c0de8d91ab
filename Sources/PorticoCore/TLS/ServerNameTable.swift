/// Picks the certificate for a TLS ClientHello's `server_name` (RFC 6066 §3).
///
/// Each certificate answers for the DNS names it carries itself (its SAN `dNSName`
/// entries, or its subject CN when it has none), so a name is never served a
/// certificate the client would reject for that name. Matching follows RFC 6125
/// §6.4.3: exact names first; then a wildcard `*.example.com`, which stands for exactly
/// one whole left-most label (`a.example.com`, not `a.b.example.com` nor `example.com`).
/// Names compare case-insensitively (DNS, RFC 4343) and a trailing dot is ignored. No
/// SNI, or a name nothing covers, gets the default certificate.
///
/// Built once per configuration generation; a lookup is one or two hash probes.
public struct ServerNameTable: Sendable, Equatable {
    private var exact: [String: Int] = [:]
    /// Keyed by the part after `*.` (`example.com` for `*.example.com`).
    private var wildcard: [String: Int] = [:]
    public let defaultIndex: Int

    /// - Parameter names: each certificate's names, in configuration order (on a name
    ///   two certificates share, the first wins).
    public init(names: [[String]], defaultIndex: Int) {
        self.defaultIndex = defaultIndex
        for (index, list) in names.enumerated() {
            for raw in list {
                let name = Self.normalize(raw)
                if name.hasPrefix("*.") {
                    let suffix = String(name.dropFirst(2))
                    // RFC 6125 §6.4.3: only a whole left-most label may be a wildcard.
                    guard !suffix.isEmpty, !suffix.contains("*") else { continue }
                    if self.wildcard[suffix] == nil { self.wildcard[suffix] = index }
                } else if !name.isEmpty, !name.contains("*") {
                    if self.exact[name] == nil { self.exact[name] = index }
                }
            }
        }
    }

    /// The certificate index for `serverName` (nil: the client sent no SNI).
    public func index(for serverName: String?) -> Int {
        guard let serverName else { return self.defaultIndex }
        let name = Self.normalize(serverName)
        if let index = self.exact[name] { return index }
        guard let dot = name.firstIndex(of: "."), dot != name.startIndex else { return self.defaultIndex }
        let parent = String(name[name.index(after: dot)...])
        return self.wildcard[parent] ?? self.defaultIndex
    }

    /// ASCII lower case, without a trailing dot (SNI carries A-labels, RFC 6066 §3).
    static func normalize(_ name: String) -> String {
        var text = name.lowercased()
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
