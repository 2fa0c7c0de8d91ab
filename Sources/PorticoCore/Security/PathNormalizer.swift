/// Normalises a request path before it is routed, matched against access rules or
/// forwarded, so that `/admin`, `/%61dmin`, `/x/../admin` and `//admin` cannot be told
/// apart by one component and not by another.
///
/// Steps, in one pass (RFC 3986):
/// - percent-encodings of unreserved characters (ALPHA / DIGIT / `-` / `.` / `_` / `~`)
///   are decoded (§2.3, §6.2.2.2); every other encoding is kept, with its hex digits
///   in upper case (§2.1, §6.2.2.1). Nothing is decoded twice: `%2561` stays `%2561`;
/// - `%00`, raw control bytes (0x00–0x1F, 0x7F) and malformed escapes (`%4`, `%zz`) are
///   rejected; so are `%2F` and `%5C` (an encoded `/` or `\` would let `/a%2F..%2Fadmin`
///   mean different things to different servers) unless `rejectEncodedSlash` is off, in
///   which case they stay encoded and are not segment separators;
/// - with `mergeSlashes`, runs of `/` become one (nginx `merge_slashes on`);
/// - dot segments are removed after decoding (§5.2.4, §6.2.2.3), so `/%2e%2e/admin` is
///   `/admin`; `..` never climbs above the root. A trailing slash (`/a/`, and the one
///   left by a final `.` or `..`: `/a/b/..` is `/a/`) is kept.
///
/// Bytes 0x80 and above and other characters that are not valid in a path are left
/// alone: rejecting them is the request-line parser's job.
public enum PathNormalizer {
    public struct Options: Sendable, Hashable {
        /// Reject `%2F` / `%2f` (encoded `/`) and `%5C` / `%5c` (encoded `\`).
        public var rejectEncodedSlash: Bool
        /// Collapse `//` into `/`.
        public var mergeSlashes: Bool

        public init(rejectEncodedSlash: Bool = true, mergeSlashes: Bool = true) {
            self.rejectEncodedSlash = rejectEncodedSlash
            self.mergeSlashes = mergeSlashes
        }
    }

    /// The normalised form of `path` (the path component only: no query or fragment).
    /// When nothing needs changing, the result is `path` itself and costs at most the
    /// copy of a `Substring` into a `String`; otherwise one allocation, for the result.
    public static func normalize(
        _ path: some StringProtocol,
        options: Options = Options()
    ) -> Result<String, PathRejection> {
        let run = { (p: UnsafeBufferPointer<UInt8>) in normalize(bytes: p, original: path, options: options) }
        if let fast = path.utf8.withContiguousStorageIfAvailable(run) { return fast }
        return Array(path.utf8).withUnsafeBufferPointer(run)
    }

    /// True when `normalize` would change or reject `path`: it contains an escape that is
    /// malformed, decodable (unreserved), in lower-case hex or refused, a control byte, a
    /// `.` or `..` segment, `//` (with `mergeSlashes`), or does not start with `/`. A false
    /// answer means the path is already normal and can be used as is. One pass, no
    /// allocation.
    public static func needsNormalization(_ path: some StringProtocol, options: Options = Options()) -> Bool {
        if let fast = path.utf8.withContiguousStorageIfAvailable({ needsWork($0, options) }) { return fast }
        return Array(path.utf8).withUnsafeBufferPointer { needsWork($0, options) }
    }

    static func needsWork(_ p: UnsafeBufferPointer<UInt8>, _ options: Options) -> Bool {
        let n = p.count
        guard n > 0, p[0] == ASCII.slash else { return true }
        var i = 0
        while i < n {
            let b = p[i]
            if b == ASCII.percent {
                // Already-normal escapes (upper-case hex of a byte that stays encoded) are fine.
                guard i + 2 < n, let hi = IPAddress.hexValue(p[i + 1]), let lo = IPAddress.hexValue(p[i + 2]),
                    !isLowerHexLetter(p[i + 1]), !isLowerHexLetter(p[i + 2])
                else { return true }
                let decoded = hi << 4 | lo
                if decoded == 0 || isUnreserved(decoded) { return true }
                if options.rejectEncodedSlash, decoded == ASCII.slash || decoded == 0x5C { return true }
                i += 3
                continue
            }
            if b < 0x20 || b == 0x7F { return true }
            if b == ASCII.slash, i + 1 < n {
                let next = p[i + 1]
                if next == ASCII.slash, options.mergeSlashes { return true }
                if next == ASCII.dot {
                    // "/." or "/.." followed by "/" or the end.
                    let end = i + 2 < n && p[i + 2] == ASCII.dot ? i + 3 : i + 2
                    if end == n || p[end] == ASCII.slash { return true }
                }
            }
            i += 1
        }
        return false
    }

    private static func normalize(
        bytes p: UnsafeBufferPointer<UInt8>, original: some StringProtocol, options: Options
    ) -> Result<String, PathRejection> {
        guard p.first == ASCII.slash else { return .failure(.notAbsolute) }
        guard needsWork(p, options) else { return .success(String(original)) }
        var rejection: PathRejection? = nil
        let result = String(unsafeUninitializedCapacity: p.count) { out in
            switch rewrite(p, into: out, options) {
            case .success(let count): return count
            case .failure(let reason):
                rejection = reason
                return 0
            }
        }
        if let rejection { return .failure(rejection) }
        return .success(result)
    }

    /// Writes the normalised path into `out` (at least `p.count` bytes: the output is
    /// never longer than the input) and returns its length.
    private static func rewrite(
        _ p: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>, _ options: Options
    ) -> Result<Int, PathRejection> {
        let n = p.count
        out[0] = ASCII.slash
        var w = 1  // write position; out[0..<w] always ends with "/" between segments
        var segmentStart = 1
        var i = 1
        while true {
            if i == n || p[i] == ASCII.slash {
                // End of a segment: out[segmentStart..<w].
                let length = w - segmentStart
                let isDot = length == 1 && out[segmentStart] == ASCII.dot
                let isDotDot = length == 2 && out[segmentStart] == ASCII.dot && out[segmentStart + 1] == ASCII.dot
                if isDot {
                    w = segmentStart
                } else if isDotDot {
                    // Drop ".." and the segment before it; stay at "/" at the root.
                    let slash = segmentStart - 1
                    if slash == 0 {
                        w = 1
                    } else {
                        var k = slash - 1
                        while out[k] != ASCII.slash { k -= 1 }
                        w = k + 1
                    }
                } else if i < n, length > 0 || !options.mergeSlashes {
                    out[w] = ASCII.slash
                    w += 1
                }
                // (An empty segment with mergeSlashes: the "/" already written stands.)
                if i == n { break }
                i += 1
                segmentStart = w
                continue
            }
            let b = p[i]
            if b == ASCII.percent {
                guard i + 2 < n,
                    let hi = IPAddress.hexValue(p[i + 1]), let lo = IPAddress.hexValue(p[i + 2])
                else { return .failure(.malformedEscape) }
                let decoded = hi << 4 | lo
                if decoded == 0 { return .failure(.encodedNUL) }
                if options.rejectEncodedSlash {
                    if decoded == ASCII.slash { return .failure(.encodedSlash) }
                    if decoded == 0x5C { return .failure(.encodedBackslash) }
                }
                if isUnreserved(decoded) {
                    out[w] = decoded
                    w += 1
                } else {
                    out[w] = ASCII.percent
                    out[w + 1] = upperHex(p[i + 1])
                    out[w + 2] = upperHex(p[i + 2])
                    w += 3
                }
                i += 3
                continue
            }
            if b < 0x20 || b == 0x7F { return .failure(b == 0 ? .nul : .controlCharacter) }
            out[w] = b
            w += 1
            i += 1
        }
        return .success(w)
    }

    /// RFC 3986 §2.3 `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"`.
    @inline(__always)
    static func isUnreserved(_ b: UInt8) -> Bool {
        ASCII.isAlpha(b) || ASCII.isDigit(b) || b == 0x2D || b == ASCII.dot || b == 0x5F || b == 0x7E
    }

    @inline(__always)
    private static func isLowerHexLetter(_ b: UInt8) -> Bool { (b &- 0x61) < 6 }

    @inline(__always)
    private static func upperHex(_ b: UInt8) -> UInt8 {
        (b &- 0x61) < 6 ? b &- 0x20 : b
    }
}

/// Why `PathNormalizer` refused a path. All map to 400 Bad Request; `reason` is a fixed
/// string for the access log (request bytes are never echoed).
public enum PathRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path is empty or does not start with `/`.
    case notAbsolute
    /// A `%` not followed by two hex digits (RFC 3986 §2.1).
    case malformedEscape
    /// `%00`.
    case encodedNUL
    /// A raw NUL byte.
    case nul
    /// A raw control byte (0x01–0x1F or 0x7F).
    case controlCharacter
    /// `%2F` with `rejectEncodedSlash`.
    case encodedSlash
    /// `%5C` with `rejectEncodedSlash`.
    case encodedBackslash

    public var reason: String {
        switch self {
        case .notAbsolute: "path does not start with \"/\""
        case .malformedEscape: "malformed percent-encoding in path"
        case .encodedNUL: "encoded NUL (%00) in path"
        case .nul: "NUL byte in path"
        case .controlCharacter: "control character in path"
        case .encodedSlash: "encoded slash (%2F) in path"
        case .encodedBackslash: "encoded backslash (%5C) in path"
        }
    }

    public var description: String { reason }
}
