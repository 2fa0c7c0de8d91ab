/// A strict syntax check for the networks in `trusted_proxies`, `allow` and `deny`.
///
/// Accepted: an IPv4 dotted quad (four decimal numbers 0–255, no leading zeros) or an
/// IPv6 address in RFC 4291 §2.2 text form (eight groups of one to four hex digits,
/// at most one `::`, optionally ending in an embedded dotted quad), followed by an
/// optional `/prefix` (0–32 or 0–128, no leading zeros). Without a prefix the entry is
/// a single address. Rejected on purpose: host names, zone identifiers (`%eth0`),
/// brackets, leading zeros in IPv4 numbers (some parsers read `010` as octal 8), and
/// bits set after the prefix (`10.1.0.0/8` — almost always a wrong prefix length,
/// and it would silently admit far more than intended).
///
/// This only checks and classifies; the runtime parses the text again into its own
/// matcher, so the two never share a half-parsed representation.
enum ConfigCIDRSyntax {
    static func check(_ text: String) -> Result<ConfigCIDR, ConfigScalar.Problem> {
        func fail(_ reason: String) -> Result<ConfigCIDR, ConfigScalar.Problem> {
            .failure(ConfigScalar.Problem(message: "invalid CIDR \(configQuoted(text)): \(reason)"))
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return fail("more than one \"/\"") }
        let address = parts[0]
        guard !address.isEmpty else {
            return fail("missing address (expected e.g. 10.0.0.0/8, 192.0.2.1 or 2001:db8::/32)")
        }
        let isIPv6 = address.contains(":")
        let parsed = isIPv6 ? ipv6Bytes(address) : ipv4Bytes(address)
        let bytes: [UInt8]
        switch parsed {
        case .success(let value): bytes = value
        case .failure(let problem): return fail(problem.message)
        }

        let maximum = isIPv6 ? 128 : 32
        var prefixLength = maximum
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty else { return fail("missing prefix length after \"/\"") }
            guard digits.count <= 3, digits.allSatisfy({ ("0"..."9").contains($0) }), let number = Int(digits) else {
                return fail("prefix length \(configQuoted(String(digits))) is not a number")
            }
            guard digits.count == 1 || digits.first != "0" else {
                return fail("prefix length \(configQuoted(String(digits))) has a leading zero")
            }
            guard number <= maximum else {
                return fail("prefix length \(number) is out of range for \(isIPv6 ? "IPv6" : "IPv4") (0-\(maximum))")
            }
            prefixLength = number
        }

        let network = masked(bytes, prefixLength: prefixLength)
        guard network == bytes else {
            let networkText = isIPv6 ? ipv6Text(network) : network.map(String.init).joined(separator: ".")
            return fail("bits are set after the /\(prefixLength) prefix (the network is \(networkText)/\(prefixLength); check the prefix length)")
        }
        return .success(ConfigCIDR(text: text, address: String(address), prefixLength: prefixLength, isIPv6: isIPv6))
    }

    // MARK: - IPv4

    static let ipv4Forms = "expected four numbers 0-255 separated by dots"

    /// The four bytes of a strict dotted quad.
    static func ipv4Bytes(_ text: Substring) -> Result<[UInt8], ConfigScalar.Problem> {
        func fail(_ reason: String) -> Result<[UInt8], ConfigScalar.Problem> {
            .failure(ConfigScalar.Problem(message: reason))
        }
        let quoted = configQuoted(String(text))
        guard text.allSatisfy({ ("0"..."9").contains($0) || $0 == "." }) else {
            let hostLike = text.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." || $0 == "_"
            }
            if hostLike {
                return fail("\(quoted) is not an IP address (host names are not allowed)")
            }
            if text.contains("%") { return fail("zone identifiers (\"%…\") are not allowed") }
            return fail("\(quoted) is not an IPv4 address (\(ipv4Forms))")
        }
        let numbers = text.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 4, numbers.allSatisfy({ !$0.isEmpty }) else {
            return fail("\(quoted) is not an IPv4 address (\(ipv4Forms))")
        }
        var bytes: [UInt8] = []
        for number in numbers {
            guard number.count <= 3, let value = Int(number), value <= 255 else {
                return fail("\(configQuoted(String(number))) in \(quoted) is out of range (0-255)")
            }
            if number.count > 1, number.first == "0" {
                return fail("\(configQuoted(String(number))) in \(quoted) has a leading zero (some parsers read it as octal)")
            }
            bytes.append(UInt8(value))
        }
        return .success(bytes)
    }

    // MARK: - IPv6

    /// The sixteen bytes of an RFC 4291 §2.2 address text.
    static func ipv6Bytes(_ text: Substring) -> Result<[UInt8], ConfigScalar.Problem> {
        func fail(_ reason: String) -> Result<[UInt8], ConfigScalar.Problem> {
            .failure(ConfigScalar.Problem(message: reason))
        }
        let quoted = configQuoted(String(text))
        if text.contains("%") { return fail("zone identifiers (\"%…\") are not allowed") }
        if text.hasPrefix("[") || text.hasSuffix("]") { return fail("write IPv6 addresses without brackets") }
        guard text.unicodeScalars.allSatisfy({ isHexDigit($0) || $0 == ":" || $0 == "." }) else {
            return fail("\(quoted) is not an IPv6 address")
        }

        // An embedded dotted quad (`::ffff:192.0.2.1`) stands for the last two groups:
        // parse it on its own and put two placeholder groups in its place.
        var groupsText = text
        var embedded: [UInt8] = []
        if text.contains(".") {
            guard let lastColon = text.lastIndex(of: ":") else { return fail("\(quoted) is not an IPv6 address") }
            let tail = text[text.index(after: lastColon)...]
            guard !tail.isEmpty, tail.contains("."), !text[..<lastColon].contains(".") else {
                return fail("an embedded IPv4 address must be the last part of \(quoted)")
            }
            switch ipv4Bytes(tail) {
            case .success(let bytes): embedded = bytes
            case .failure(let problem): return fail("embedded IPv4 part: \(problem.message)")
            }
            groupsText = text[...lastColon] + "0:0"
        }

        if groupsText.contains(":::") { return fail("\":::\" in \(quoted) is not valid (\"::\" stands for any run of zero groups)") }
        let left: Substring
        let right: Substring?
        if let gap = groupsText.firstRange(of: "::") {
            left = groupsText[..<gap.lowerBound]
            right = groupsText[gap.upperBound...]
            if right?.contains("::") == true || right?.hasPrefix(":") == true {
                return fail("\"::\" may appear only once in \(quoted)")
            }
        } else {
            left = groupsText
            right = nil
        }
        var leftGroups: [UInt16] = []
        var rightGroups: [UInt16] = []
        for (side, isLeft) in [(left, true), (right ?? "", false)] where !side.isEmpty {
            for group in side.split(separator: ":", omittingEmptySubsequences: false) {
                guard !group.isEmpty else { return fail("empty group in \(quoted) (a single \":\" at the start or end?)") }
                guard group.count <= 4, let value = UInt16(group, radix: 16) else {
                    return fail("group \(configQuoted(String(group))) in \(quoted) has more than four hex digits")
                }
                if isLeft { leftGroups.append(value) } else { rightGroups.append(value) }
            }
        }
        let count = leftGroups.count + rightGroups.count
        if right == nil, count != 8 {
            return fail("\(quoted) has \(count) groups instead of 8 (use \"::\" for a run of zero groups)")
        }
        if right != nil, count > 7 {
            return fail("\(quoted) has too many groups for \"::\" (at most 7 besides it)")
        }
        let groups = leftGroups + [UInt16](repeating: 0, count: 8 - count) + rightGroups
        var bytes = groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        if !embedded.isEmpty { bytes.replaceSubrange(12..<16, with: embedded) }
        return .success(bytes)
    }

    private static func isHexDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(scalar) || ("a"..."f").contains(scalar) || ("A"..."F").contains(scalar)
    }

    /// RFC 5952 text (lower case, longest run of two or more zero groups as `::`), for messages.
    static func ipv6Text(_ bytes: [UInt8]) -> String {
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        var best: Range<Int>?
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index >= 2, end - index > (best?.count ?? 0) { best = index..<end }
            index = end
        }
        let hex = groups.map { String($0, radix: 16) }
        guard let best else { return hex.joined(separator: ":") }
        return hex[..<best.lowerBound].joined(separator: ":") + "::" + hex[best.upperBound...].joined(separator: ":")
    }

    // MARK: - Prefix

    /// `bytes` with every bit after the first `prefixLength` cleared.
    static func masked(_ bytes: [UInt8], prefixLength: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bitsKept = min(max(prefixLength - index * 8, 0), 8)
            return bitsKept == 8 ? byte : byte & ~(UInt8(0xFF) >> bitsKept)
        }
    }
}
