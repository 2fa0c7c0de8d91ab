/// An address prefix (RFC 4632 §3.1 for IPv4, RFC 4291 §2.3 for IPv6): `10.0.0.0/8`,
/// `2001:db8::/32`, or a bare address meaning a single host (`/32` or `/128`).
///
/// - Host bits are accepted and masked: `10.1.2.3/8` is `10.0.0.0/8`, as nginx and most
///   ACL implementations do. `CIDR.hasHostBits(_:)` tells the configuration layer when
///   to warn about it.
/// - IPv4 and IPv6 are matched separately, with v4-mapped IPv6 addresses treated as the
///   IPv4 address (`IPAddress.unmapped`): `10.0.0.0/8` contains `::ffff:10.1.2.3`, and
///   `::/0` means every IPv6 address but no IPv4 one (nginx behaves the same). A prefix
///   written inside the v4-mapped block (`::ffff:10.0.0.0/104`, length ≥ 96) is stored
///   as the equivalent IPv4 prefix (`10.0.0.0/8`) so it does match those clients.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    /// The network address: `address` with every host bit cleared.
    public let address: IPAddress
    /// 0–32 for IPv4, 0–128 for IPv6.
    public let prefixLength: Int
    /// The network bits in the 128-bit space of `IPAddress.bits` (IPv4 in the low 32 bits).
    let network: UInt128
    let mask: UInt128

    public var family: IPAddress.Family { address.family }

    /// The prefix of `prefixLength` bits containing `address`, with host bits masked.
    /// `nil` when `prefixLength` is out of range for the address family. A v4-mapped
    /// IPv6 address with a prefix length of at least 96 gives the IPv4 prefix.
    public init?(address: IPAddress, prefixLength: Int) {
        var address = address
        var prefixLength = prefixLength
        if address.isIPv4MappedIPv6, prefixLength >= 96, prefixLength <= 128 {
            address = address.unmapped
            prefixLength -= 96
        }
        let width = address.family == .ipv4 ? 32 : 128
        guard prefixLength >= 0, prefixLength <= width else { return nil }
        let all: UInt128 = width == 32 ? UInt128(UInt32.max) : ~0
        // Smart shift: shifting by the full width yields 0, so /0 gives an empty mask.
        let mask = all & (all << (width - prefixLength))
        let network = address.bits & mask
        self.prefixLength = prefixLength
        self.mask = mask
        self.network = network
        self.address =
            width == 32
            ? IPAddress(ipv4: UInt32(truncatingIfNeeded: network))
            : IPAddress(ipv6High: UInt64(truncatingIfNeeded: network >> 64), low: UInt64(truncatingIfNeeded: network))
    }

    /// Parses `address/length` or a bare address; see `check(_:)` for the reasons a text
    /// is refused.
    public init?(_ text: some StringProtocol) {
        guard case .success(let cidr) = Self.check(text) else { return nil }
        self = cidr
    }

    /// Parses like `init?(_:)` and, on failure, says why in one line suitable for a
    /// configuration diagnostic (`prefix length 33 is out of range for IPv4 (0-32)`).
    public static func check(_ text: some StringProtocol) -> Result<CIDR, CIDRError> {
        parse(Substring(text)).map(\.cidr)
    }

    /// True when `text` is a valid prefix whose address has bits set beyond the prefix
    /// length (`10.1.2.3/8`). Such prefixes are accepted with the bits masked; the
    /// configuration layer may want to warn, since it is often a typo.
    public static func hasHostBits(_ text: some StringProtocol) -> Bool {
        (try? parse(Substring(text)).get().hadHostBits) ?? false
    }

    /// Whether `address` lies in this prefix. v4-mapped IPv6 addresses are matched as
    /// IPv4 (see the type's documentation); an IPv6 prefix never contains an IPv4 address.
    @inline(__always)
    public func contains(_ address: IPAddress) -> Bool {
        let a = address.unmapped
        return a.family == family && a.bits & mask == network
    }

    /// `network/length`, the address in canonical form (RFC 5952 for IPv6).
    public var description: String { "\(address)/\(prefixLength)" }

    /// The lowest and highest address of the prefix, in the 128-bit space of `bits`.
    var range: (lower: UInt128, upper: UInt128) {
        let width: UInt128 = family == .ipv4 ? UInt128(UInt32.max) : ~0
        return (network, network | (width & ~mask))
    }

    private static func parse(_ text: Substring) -> Result<(cidr: CIDR, hadHostBits: Bool), CIDRError> {
        guard !text.isEmpty else { return .failure(.empty) }
        let u = text.utf8
        let slash = u.firstIndex(of: ASCII.slash)
        let addressText = Substring(u[u.startIndex..<(slash ?? u.endIndex)])
        guard let address = IPAddress(addressText) else {
            return .failure(.invalidAddress(String(addressText)))
        }
        var length = address.family == .ipv4 ? 32 : 128
        if let slash {
            let digits = u[u.index(after: slash)...]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy(ASCII.isDigit),
                digits.count == 1 || digits.first != 0x30
            else {
                return .failure(.invalidPrefixLength(String(Substring(digits))))
            }
            length = digits.reduce(0) { $0 * 10 + Int($1 &- 0x30) }
        }
        guard let cidr = CIDR(address: address, prefixLength: length) else {
            return .failure(.prefixLengthOutOfRange(length, address.family))
        }
        let written = cidr.family == address.family ? address : address.unmapped
        return .success((cidr, cidr.network != written.bits))
    }
}

/// Why a text is not a valid `CIDR`. `description` is a one-line message for
/// configuration diagnostics.
public enum CIDRError: Error, Sendable, Hashable, CustomStringConvertible {
    case empty
    /// The part before `/` (or the whole text) is not an IPv4 or IPv6 address.
    case invalidAddress(String)
    /// The part after `/` is not a decimal number without leading zeros.
    case invalidPrefixLength(String)
    /// The prefix length is larger than the address family allows.
    case prefixLengthOutOfRange(Int, IPAddress.Family)

    public var description: String {
        switch self {
        case .empty:
            return "empty address range"
        case .invalidAddress(let text):
            return "invalid IP address \"\(text)\""
        case .invalidPrefixLength(let text):
            return "invalid prefix length \"\(text)\" (expected a number after \"/\")"
        case .prefixLengthOutOfRange(let length, .ipv4):
            return "prefix length \(length) is out of range for IPv4 (0-32)"
        case .prefixLengthOutOfRange(let length, .ipv6):
            return "prefix length \(length) is out of range for IPv6 (0-128)"
        }
    }
}
