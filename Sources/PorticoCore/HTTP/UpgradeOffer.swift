import NIOHTTP1

/// The protocols a client asks to switch to with `Upgrade` (RFC 9110 §7.8), and whether
/// an origin's `101 Switching Protocols` is a valid acceptance of that request.
///
/// Pure logic, kept out of the channel handlers so the rules can be tested in
/// milliseconds. The data path asks two questions:
/// - `UpgradeOffer(tunnelling:)`: may this request become a tunnel? Only an HTTP/1.1
///   `GET` without a body, with `Connection: upgrade` and a well-formed `Upgrade` list.
///   A server must ignore `Upgrade` in HTTP/1.0 (RFC 9110 §7.8); WebSocket opens with a
///   body-less GET (RFC 6455 §4.1), and a request body would have to be framed and
///   delivered before the switch, which no protocol Portico tunnels needs.
/// - `accepts(_:)`: is this 101 an answer the client asked for? It must name, in its
///   own `Upgrade` field, only protocols the client offered (RFC 9110 §7.8: "A server
///   MUST NOT switch to a protocol that was not indicated by the client"), carry
///   `Connection: upgrade` (RFC 9110 §7.6.1: `Upgrade` is hop-by-hop), and for
///   WebSocket name exactly `websocket` (RFC 6455 §4.1, the client's checks 2 and 3).
///   `Sec-WebSocket-Accept` is checked by the client, end to end (RFC 6455 §4.2.2).
public struct UpgradeOffer: Sendable, Equatable {
    /// One `protocol = protocol-name ["/" protocol-version]` (RFC 9110 §7.8).
    public struct ProtocolName: Sendable, Equatable, CustomStringConvertible {
        /// Lower-cased: protocol names compare case-insensitively.
        public var name: String
        public var version: String?

        public init(name: String, version: String? = nil) {
            self.name = name.lowercased()
            self.version = version
        }

        public var description: String { self.version.map { "\(self.name)/\($0)" } ?? self.name }
    }

    /// The offered protocols, in the client's order of preference.
    public let protocols: [ProtocolName]

    /// Whether WebSocket is among the offered protocols (RFC 6455 §4.1).
    public var isWebSocket: Bool { self.protocols.contains { $0.name == "websocket" } }

    /// An offer of `protocols` (tests and callers that parsed the list themselves).
    public init(protocols: [ProtocolName]) {
        self.protocols = protocols
    }

    /// Parses the values of the `Upgrade` fields (a `#protocol` list, RFC 9110 §5.6.1);
    /// nil when the list is empty or any element is not `token ["/" token]`.
    public init?(upgradeValues: [String]) {
        guard let protocols = Self.parseList(upgradeValues), !protocols.isEmpty else { return nil }
        self.protocols = protocols
    }

    /// Whether the request asks for an upgrade at all: `Connection: upgrade` and an
    /// `Upgrade` field. Such a request that cannot tunnel is forwarded without the
    /// upgrade (both fields are hop-by-hop and dropped).
    public static func isRequested(by head: ParsedRequestHead) -> Bool {
        head.connection.contains(.upgrade) && head.fieldIndex(named: "upgrade") != nil
    }

    /// The offer of a request that may become a tunnel, or nil (see the type's comment).
    public init?(tunnelling head: ParsedRequestHead) {
        guard Self.isRequested(by: head), head.version == .http1_1, head.method == .GET else { return nil }
        switch head.framing {
        case .none, .contentLength(0):
            break
        default:
            return nil
        }
        self.init(upgradeValues: Self.values(named: "upgrade", in: head))
    }

    /// Whether `response` (a final or 101 head from the origin) switches to a protocol
    /// this offer allows. Anything but a valid 101 returns false.
    public func accepts(_ response: ParsedResponseHead) -> Bool {
        guard response.status == 101, response.connection.contains(.upgrade) else { return false }
        return self.accepts(upgradeValues: Self.values(named: "upgrade", in: response))
    }

    /// The check of `accepts(_:)` on the 101's `Upgrade` values: a non-empty list whose
    /// every protocol was offered (same name; same version when both name one). A
    /// switch to WebSocket must name only `websocket` (RFC 6455 §4.1).
    public func accepts(upgradeValues: [String]) -> Bool {
        guard let chosen = Self.parseList(upgradeValues), !chosen.isEmpty else { return false }
        if chosen.contains(where: { $0.name == "websocket" }) {
            guard chosen.count == 1, chosen[0].version == nil, self.isWebSocket else { return false }
            return true
        }
        return chosen.allSatisfy { choice in
            self.protocols.contains { offered in
                guard offered.name == choice.name else { return false }
                guard let wanted = offered.version, let got = choice.version else { return true }
                return wanted == got
            }
        }
    }

    // MARK: Parsing

    private static func values<Head: HTTP1ParsedHead>(named name: StaticString, in head: Head) -> [String] {
        var values: [String] = []
        var index = head.fieldIndex(named: name)
        while let found = index {
            values.append(String(decoding: head.value(at: found), as: UTF8.self))
            index = head.fieldIndex(named: name, from: found + 1)
        }
        return values
    }

    /// Elements of a comma-separated list of `token ["/" token]`; empty elements are
    /// skipped (RFC 9110 §5.6.1). nil if any element is malformed.
    private static func parseList(_ values: [String]) -> [ProtocolName]? {
        var result: [ProtocolName] = []
        for value in values {
            for element in value.utf8.split(separator: ASCII.comma, omittingEmptySubsequences: false) {
                let bytes = Array(element)
                guard let first = bytes.firstIndex(where: { $0 != ASCII.space && $0 != ASCII.tab }),
                    let last = bytes.lastIndex(where: { $0 != ASCII.space && $0 != ASCII.tab })
                else { continue }
                let trimmed = bytes[first...last]
                let parts = trimmed.split(separator: ASCII.slash, omittingEmptySubsequences: false)
                guard parts.count <= 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(ASCII.isTokenChar) }) else {
                    return nil
                }
                let name = String(decoding: parts[0], as: UTF8.self)
                let version = parts.count == 2 ? String(decoding: parts[1], as: UTF8.self) : nil
                result.append(ProtocolName(name: name, version: version))
            }
        }
        return result
    }
}
