/// Finds the real client address of a request that reached Portico through trusted
/// proxies (load balancers, CDNs), from `X-Forwarded-For` or `Forwarded` (RFC 7239).
///
/// The rules are those of nginx's realip module with `real_ip_recursive on`:
/// - a peer that is not trusted is the client, whatever it sends (headers from clients
///   are never believed);
/// - otherwise the list of addresses, across every field line in order, is walked from
///   right to left (the rightmost entry was appended by the closest proxy), skipping
///   trusted addresses; the first untrusted one is the client;
/// - when every entry is trusted, the leftmost one is the client;
/// - an entry that is not an address (garbage, `unknown`, an obfuscated RFC 7239 §6.3
///   identifier such as `_hidden`) stops the walk: the last address seen before it, or
///   the peer when there is none, is the client.
///
/// Resolving never allocates: field values are scanned in place.
public struct ClientAddressResolver: Sendable {
    public enum Source: Sendable, Hashable {
        /// `X-Forwarded-For: client, proxy1, proxy2` (de facto standard).
        case xForwardedFor
        /// `Forwarded: for=client;proto=https, for="[2001:db8::1]:4711"` (RFC 7239 §4).
        case forwarded
    }

    public let trusted: [CIDR]
    public let source: Source
    private let trustedSet: AddressRangeSet

    public init(trusted: [CIDR], source: Source) {
        self.trusted = trusted
        self.source = source
        trustedSet = AddressRangeSet(trusted)
    }

    /// The field name the resolver reads, lower case.
    public var fieldName: String {
        switch source {
        case .xForwardedFor: "x-forwarded-for"
        case .forwarded: "forwarded"
        }
    }

    /// Whether `address` (v4-mapped addresses as IPv4) is a trusted proxy.
    @inline(__always)
    public func isTrusted(_ address: IPAddress) -> Bool {
        trustedSet.contains(address)
    }

    /// The client address for a connection from `peer` carrying `headerValues`, the
    /// values of every field line of the configured field, in the order received.
    public func resolve(peer: IPAddress, headerValues: [Substring]) -> IPAddress {
        guard !headerValues.isEmpty, isTrusted(peer) else { return peer }
        var walk = Walk()
        for value in headerValues {
            ASCII.withBytes(value) { p in
                switch source {
                case .xForwardedFor:
                    Self.scanXForwardedFor(p) { range in
                        walk.add(Self.parseNode(p, range), trusted: trustedSet)
                    }
                case .forwarded:
                    Self.scanForwarded(p) { element in
                        switch element {
                        case .node(let range): walk.add(Self.parseNode(p, range), trusted: trustedSet)
                        case .invalid: walk.add(nil, trusted: trustedSet)
                        }
                    }
                }
            }
        }
        return walk.result(peer: peer)
    }

    /// The right-to-left walk, computed in one left-to-right pass: the answer only
    /// depends on the rightmost "stop" (an untrusted address or an invalid entry) and,
    /// for an invalid one, on the entry right after it.
    private struct Walk {
        enum Stop {
            case none
            case untrusted(IPAddress)
            case invalid(next: IPAddress?)
        }

        var stop = Stop.none
        var leftmost: IPAddress?

        mutating func add(_ address: IPAddress?, trusted: AddressRangeSet) {
            guard let address else {
                stop = .invalid(next: nil)
                return
            }
            guard trusted.contains(address) else {
                stop = .untrusted(address)
                return
            }
            switch stop {
            case .none: if leftmost == nil { leftmost = address }
            case .invalid(next: nil): stop = .invalid(next: address)
            case .invalid, .untrusted: break
            }
        }

        func result(peer: IPAddress) -> IPAddress {
            switch stop {
            case .none: leftmost ?? peer
            case .untrusted(let address): address
            case .invalid(let next): next ?? peer
            }
        }
    }

    // MARK: - Helpers (allocating; for diagnostics, logs and tests)

    /// The trimmed, non-empty elements of one `X-Forwarded-For` value.
    public static func forwardedFor(_ value: Substring) -> [Substring] {
        var out: [Substring] = []
        ASCII.forEachListElement(value) {
            out.append($0)
            return true
        }
        return out
    }

    /// The `for=` node of each element of one `Forwarded` value (RFC 7239 §4), without
    /// quotes; `nil` for an element that has no `for` parameter, repeats it, or is
    /// malformed.
    public static func forwardedNodes(_ value: Substring) -> [Substring?] {
        var out: [Substring?] = []
        ASCII.withBytes(value) { p in
            scanForwarded(p) { element in
                switch element {
                case .node(let range): out.append(ASCII.slice(value, range.lowerBound, range.upperBound))
                case .invalid: out.append(nil)
                }
            }
        }
        return out
    }

    /// The address in one list entry or `for=` node: `192.0.2.1`, `192.0.2.1:8080`,
    /// `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:4711` (the port, numeric or an
    /// RFC 7239 §6.3 obfuscated `_port`, is ignored). `nil` for `unknown`, obfuscated
    /// identifiers and anything else.
    public static func parseNode(_ node: Substring) -> IPAddress? {
        ASCII.withBytes(node) { parseNode($0, 0..<$0.count) }
    }

    // MARK: - Scanning

    /// Calls `body` with the byte range of each trimmed, non-empty list element.
    static func scanXForwardedFor(_ p: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        var start = 0
        for i in 0...p.count where i == p.count || p[i] == ASCII.comma {
            var lo = start
            var hi = i
            while lo < hi, p[lo] == ASCII.space || p[lo] == ASCII.tab { lo += 1 }
            while hi > lo, p[hi - 1] == ASCII.space || p[hi - 1] == ASCII.tab { hi -= 1 }
            if lo < hi { body(lo..<hi) }
            start = i + 1
        }
    }

    enum ForwardedElement {
        /// The `for` value, inside the quotes when quoted.
        case node(Range<Int>)
        /// No `for`, a repeated `for`, or a syntax error in the element.
        case invalid
    }

    /// Splits a `Forwarded` value into elements (RFC 7239 §4: `forwarded-element *( ","
    /// forwarded-element )`, each `forwarded-pair *( ";" forwarded-pair )`, a pair being
    /// `token "=" ( token / quoted-string )`) and reports each element's `for` node.
    /// Commas inside quoted strings do not split. Whitespace around `;`, `,` and at the
    /// ends is tolerated; empty elements are skipped (RFC 9110 §5.6.1). A quoted `for`
    /// value containing a backslash escape is reported invalid: addresses never need one.
    static func scanForwarded(_ p: UnsafeBufferPointer<UInt8>, _ body: (ForwardedElement) -> Void) {
        let n = p.count
        var i = 0
        func skipOWS() { while i < n, p[i] == ASCII.space || p[i] == ASCII.tab { i += 1 } }
        while i < n {
            skipOWS()
            if i == n { break }
            if p[i] == ASCII.comma {  // empty element
                i += 1
                continue
            }
            var node: Range<Int>? = nil
            var valid = true
            // One element: pairs until ',' or the end.
            pairs: while true {
                skipOWS()
                let nameStart = i
                while i < n, ASCII.isTokenChar(p[i]) { i += 1 }
                let nameEnd = i
                guard nameEnd > nameStart, i < n, p[i] == 0x3D else {  // '='
                    valid = false
                    break pairs
                }
                i += 1
                var valueRange = i..<i
                var escaped = false
                if i < n, p[i] == 0x22 {  // quoted-string
                    i += 1
                    let valueStart = i
                    while i < n, p[i] != 0x22 {
                        if p[i] == 0x5C {  // quoted-pair
                            escaped = true
                            i += 1
                        }
                        i += 1
                    }
                    guard i < n else {
                        valid = false
                        break pairs
                    }
                    valueRange = valueStart..<i
                    i += 1
                } else {
                    let valueStart = i
                    while i < n, p[i] != ASCII.semicolon, p[i] != ASCII.comma, p[i] != ASCII.space, p[i] != ASCII.tab,
                        p[i] != 0x22
                    {
                        i += 1
                    }
                    valueRange = valueStart..<i
                }
                if nameEnd - nameStart == 3, ASCII.lower(p[nameStart]) == 0x66, ASCII.lower(p[nameStart + 1]) == 0x6F,
                    ASCII.lower(p[nameStart + 2]) == 0x72
                {  // "for"
                    if node != nil || escaped { valid = false }
                    node = valueRange
                }
                skipOWS()
                if i == n || p[i] == ASCII.comma { break pairs }
                guard p[i] == ASCII.semicolon else {
                    valid = false
                    break pairs
                }
                i += 1
            }
            if !valid {
                // Resynchronise at the next comma outside a quoted string.
                var quoted = false
                while i < n, quoted || p[i] != ASCII.comma {
                    if p[i] == 0x22 { quoted.toggle() } else if quoted, p[i] == 0x5C { i += 1 }
                    i += 1
                }
            }
            if valid, let node { body(.node(node)) } else { body(.invalid) }
            if i < n { i += 1 }  // the comma
        }
    }

    /// See `parseNode(_:)`.
    static func parseNode(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> IPAddress? {
        var lo = range.lowerBound
        let hi = range.upperBound
        guard lo < hi else { return nil }
        if p[lo] == ASCII.openBracket {
            lo += 1
            var close = lo
            while close < hi, p[close] != ASCII.closeBracket { close += 1 }
            guard close < hi, close + 1 == hi || (p[close + 1] == ASCII.colon && isPort(p, close + 2, hi)) else {
                return nil
            }
            guard let address = IPAddress.parse(UnsafeBufferPointer(rebasing: p[lo..<close])),
                address.family == .ipv6
            else { return nil }
            return address
        }
        var colons = 0
        var lastColon = hi
        for i in lo..<hi where p[i] == ASCII.colon {
            colons += 1
            lastColon = i
        }
        if colons == 1 {  // IPv4:port
            guard isPort(p, lastColon + 1, hi), let v4 = IPAddress.parseIPv4(p, lo, lastColon) else { return nil }
            return IPAddress(ipv4: v4)
        }
        return IPAddress.parse(UnsafeBufferPointer(rebasing: p[lo..<hi]))
    }

    /// RFC 7239 §6: `node-port = port / obfport`, `port = 1*5DIGIT` (0–65535 here),
    /// `obfport = "_" 1*(ALPHA / DIGIT / "." / "_" / "-")`.
    private static func isPort(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Bool {
        guard lo < hi else { return false }
        if p[lo] == 0x5F {
            guard hi - lo >= 2 else { return false }
            for i in (lo + 1)..<hi {
                let b = p[i]
                guard ASCII.isAlpha(b) || ASCII.isDigit(b) || b == ASCII.dot || b == 0x5F || b == 0x2D else {
                    return false
                }
            }
            return true
        }
        guard hi - lo <= 5 else { return false }
        var value = 0
        for i in lo..<hi {
            guard ASCII.isDigit(p[i]) else { return false }
            value = value * 10 + Int(p[i] &- 0x30)
        }
        return value <= 65535
    }
}
