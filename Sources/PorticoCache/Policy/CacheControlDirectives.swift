/// The `Cache-Control` directives of one request or response head (RFC 9111 §5.2),
/// parsed once so every policy decision reads plain fields.
///
/// Parsing rules, and why:
/// - All `Cache-Control` lines are read as one list (RFC 9110 §5.3); directive names
///   are case-insensitive (§5.2); arguments are a token or a quoted-string, and a
///   quoted-string may contain commas (`no-cache="Set-Cookie, X-Debug"`).
/// - Duplicated directives: the **first occurrence wins** (§4.2.1 "the first
///   occurrence should be used"), except that the field lists of `no-cache="…"` and
///   `private="…"` accumulate (listing more fields is only more restrictive), and an
///   unqualified `no-cache`/`private` beside a qualified one wins (most restrictive).
/// - Invalid arguments are read the restrictive way: an invalid `max-age`/`s-maxage`
///   is 0, so the response is stale (§4.2.1 "consider responses that have invalid
///   freshness information … to be stale"); an invalid request `max-age` is 0 too
///   (forces validation); an invalid `max-stale`, `min-fresh`,
///   `stale-while-revalidate` or `stale-if-error` is ignored (grants nothing).
/// - Delta-seconds past 2^31 are 2147483648 (§1.2.2).
/// - Unknown directives are ignored (§5.2.3).
public struct CacheControlDirectives: Sendable, Equatable {
    // Shared by requests and responses.
    /// `no-store` (§5.2.1.5, §5.2.2.5).
    public var noStore = false
    /// Unqualified `no-cache` (§5.2.1.4, §5.2.2.4).
    public var noCache = false
    /// `max-age` (§5.2.1.1, §5.2.2.1); 0 when its argument was invalid.
    public var maxAge: Int?
    /// `no-transform` (§5.2.1.6, §5.2.2.6).
    public var noTransform = false

    // Response directives.
    /// Field names of a qualified `no-cache="…"`, lower-cased (§5.2.2.4).
    public var noCacheFields: [String] = []
    /// Unqualified `private` (§5.2.2.7).
    public var isPrivate = false
    /// Field names of a qualified `private="…"`, lower-cased (§5.2.2.7).
    public var privateFields: [String] = []
    /// `public` (§5.2.2.9).
    public var isPublic = false
    /// `must-revalidate` (§5.2.2.2).
    public var mustRevalidate = false
    /// `proxy-revalidate` (§5.2.2.8).
    public var proxyRevalidate = false
    /// `must-understand` (§5.2.2.3).
    public var mustUnderstand = false
    /// `s-maxage` (§5.2.2.10); 0 when its argument was invalid.
    public var sMaxAge: Int?
    /// `stale-while-revalidate` (RFC 5861 §3).
    public var staleWhileRevalidate: Int?
    /// `stale-if-error` (RFC 5861 §4; also a request directive).
    public var staleIfError: Int?

    // Request directives.
    /// `max-stale` present (§5.2.1.2); `maxStaleSeconds` nil means any staleness.
    public var maxStale = false
    /// The `max-stale` limit, when it had a valid argument.
    public var maxStaleSeconds: Int?
    /// `min-fresh` (§5.2.1.3).
    public var minFresh: Int?
    /// `only-if-cached` (§5.2.1.7).
    public var onlyIfCached = false

    /// The largest delta-seconds a cache must represent (RFC 9111 §1.2.2).
    public static let deltaSecondsCeiling = 2_147_483_648

    public init() {}

    /// The directives of every `Cache-Control` line of `headers`.
    public init(_ headers: HeaderList) {
        self.init()
        var seen: Set<String> = []
        for value in headers.all("cache-control") {
            for (name, argument) in Self.directives(in: value) {
                self.apply(name: name, argument: argument, firstTime: seen.insert(name).inserted)
            }
        }
    }

    /// Whether any `Cache-Control` line is present (for `Pragma`, RFC 9111 §5.4).
    public static func isPresent(in headers: HeaderList) -> Bool {
        headers.contains("cache-control")
    }

    private mutating func apply(name: String, argument: String?, firstTime: Bool) {
        switch name {
        case "no-cache":
            if let argument {
                self.noCacheFields.append(contentsOf: Self.fieldNames(argument))
            } else {
                self.noCache = true
            }
        case "private":
            if let argument {
                self.privateFields.append(contentsOf: Self.fieldNames(argument))
            } else {
                self.isPrivate = true
            }
        case "no-store": self.noStore = true
        case "no-transform": self.noTransform = true
        case "public": self.isPublic = true
        case "must-revalidate": self.mustRevalidate = true
        case "proxy-revalidate": self.proxyRevalidate = true
        case "must-understand": self.mustUnderstand = true
        case "only-if-cached": self.onlyIfCached = true
        case "max-age" where firstTime:
            self.maxAge = Self.deltaSeconds(argument) ?? 0
        case "s-maxage" where firstTime:
            self.sMaxAge = Self.deltaSeconds(argument) ?? 0
        case "max-stale" where firstTime:
            self.maxStale = argument == nil || Self.deltaSeconds(argument) != nil
            self.maxStaleSeconds = Self.deltaSeconds(argument)
        case "min-fresh" where firstTime:
            self.minFresh = Self.deltaSeconds(argument)
        case "stale-while-revalidate" where firstTime:
            self.staleWhileRevalidate = Self.deltaSeconds(argument)
        case "stale-if-error" where firstTime:
            self.staleIfError = Self.deltaSeconds(argument)
        default:
            break
        }
    }

    /// `delta-seconds = 1*DIGIT` (RFC 9111 §1.2.2), saturating at 2^31; nil when
    /// absent or not all digits.
    public static func deltaSeconds(_ text: String?) -> Int? {
        guard let text, !text.isEmpty else { return nil }
        var value = 0
        for byte in text.utf8 {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = min(value * 10 + Int(byte - 0x30), Self.deltaSecondsCeiling)
        }
        return value
    }

    /// The field names of a `no-cache="…"`/`private="…"` argument, lower-cased.
    private static func fieldNames(_ argument: String) -> [String] {
        argument.split(separator: ",").map { String($0.trimmingSpaces()).lowercased() }.filter { !$0.isEmpty }
    }

    /// The `(name, argument)` pairs of one field line: names lower-cased, quoted-string
    /// arguments unquoted (RFC 9110 §5.6.4), empty list elements skipped (§5.6.1).
    static func directives(in value: String) -> [(String, String?)] {
        var result: [(String, String?)] = []
        let bytes = Array(value.utf8)
        var index = 0
        func skipSpaces() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        }
        while index < bytes.count {
            skipSpaces()
            let nameStart = index
            while index < bytes.count, bytes[index] != 0x3D, bytes[index] != 0x2C { index += 1 }
            let name = String(decoding: bytes[nameStart..<index], as: UTF8.self).trimmingSpaces().lowercased()
            var argument: String?
            if index < bytes.count, bytes[index] == 0x3D {
                index += 1
                skipSpaces()
                if index < bytes.count, bytes[index] == 0x22 {
                    argument = Self.quotedString(bytes, &index)
                    while index < bytes.count, bytes[index] != 0x2C { index += 1 }
                } else {
                    let start = index
                    while index < bytes.count, bytes[index] != 0x2C { index += 1 }
                    argument = String(String(decoding: bytes[start..<index], as: UTF8.self).trimmingSpaces())
                }
            }
            index += 1  // the comma
            if !name.isEmpty { result.append((name, argument)) }
        }
        return result
    }

    /// Reads a quoted-string starting at the `"` at `index`, honouring `\` escapes
    /// (RFC 9110 §5.6.4); leaves `index` after the closing quote (or at the end).
    private static func quotedString(_ bytes: [UInt8], _ index: inout Int) -> String {
        var content: [UInt8] = []
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == 0x22 { break }
            if byte == 0x5C, index < bytes.count {
                content.append(bytes[index])
                index += 1
            } else {
                content.append(byte)
            }
        }
        return String(decoding: content, as: UTF8.self)
    }
}
