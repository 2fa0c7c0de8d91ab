import Foundation

/// A refused htpasswd file: where, and why.
public struct HtpasswdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file's path as given to ``HtpasswdFile/parse(_:path:)`` or ``HtpasswdFile/load(path:)``.
    public var path: String
    /// 1-based line number, or nil when the file itself could not be read.
    public var line: Int?
    /// `line N: user "x": apr1 (MD5) hashes are not accepted; use bcrypt (htpasswd -B)`.
    public var message: String

    public init(path: String, line: Int?, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// The users of an Apache-style htpasswd file (`user:hash` per line), for HTTP Basic
/// authentication (RFC 7617).
///
/// Only salted, slow hashes are accepted: bcrypt (`$2y$`, `$2b$`, `$2a$`; `htpasswd -B`) and
/// SHA-crypt (`$5$`, `$6$`, optional `rounds=`; `htpasswd -2` / `-5`). Plain text, `{SHA}`,
/// `$apr1$` (MD5) and DES crypt are refused when the file is parsed, so a weak file fails the
/// configuration load instead of silently protecting nothing.
public struct HtpasswdFile: Sendable {
    struct Entry: Sendable {
        var hash: PasswordHash
        /// The hash field as written (part of the verification cache key).
        var text: String
    }

    let entries: [String: Entry]
    /// Hash that unknown users are checked against, so that their requests cost the same as
    /// a known user's (no user enumeration by timing). It is the first entry's hash: same
    /// scheme and cost as (at least) that user.
    let dummy: PasswordHash?

    /// The path the file was parsed from (for diagnostics).
    public let path: String

    /// The user names, sorted.
    public var users: [String] { entries.keys.sorted() }

    public var count: Int { entries.count }

    /// Parses htpasswd text. Blank lines and lines starting with `#` are ignored; CRLF line
    /// ends and a UTF-8 byte-order mark are tolerated. Fields after the hash
    /// (`user:hash:comment`) are ignored, as Apache does. The first problem found is returned.
    public static func parse(_ text: String, path: String) -> Result<HtpasswdFile, HtpasswdError> {
        var entries: [String: Entry] = [:]
        var firstLine: [String: Int] = [:]
        var dummy: PasswordHash?
        var lineNumber = 0
        // Split on bytes, not Characters: "\r\n" is a single Character, and a combining mark
        // after ':' would otherwise merge with it.
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine[...]
            if lineNumber == 1, line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            line = trimmingBlanks(line)
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }

            func failure(_ message: String) -> Result<HtpasswdFile, HtpasswdError> {
                .failure(HtpasswdError(path: path, line: lineNumber, message: "line \(lineNumber): \(message)"))
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                return failure("expected user:hash")
            }
            // Splitting valid UTF-8 at ASCII bytes leaves valid UTF-8.
            let user = String(decoding: line[..<colon], as: UTF8.self)
            guard !user.isEmpty else { return failure("empty user name") }
            guard !line[..<colon].contains(where: AuthBytes.isControl) else {
                return failure("user name contains a control character")
            }
            let afterColon = line[line.index(after: colon)...]
            let hashField = String(decoding: trimmingBlanks(afterColon.prefix(while: { $0 != UInt8(ascii: ":") })), as: UTF8.self)
            if let previous = firstLine[user] {
                return failure("user \"\(user)\": duplicate entry (first defined on line \(previous))")
            }
            switch PasswordHash.parse(hashField) {
            case .success(let hash):
                entries[user] = Entry(hash: hash, text: hashField)
                firstLine[user] = lineNumber
                if dummy == nil { dummy = hash }
            case .failure(let refusal):
                return failure("user \"\(user)\": \(refusal.message)")
            }
        }
        return .success(HtpasswdFile(entries: entries, dummy: dummy, path: path))
    }

    private static func trimmingBlanks(_ bytes: Substring.UTF8View.SubSequence) -> Substring.UTF8View.SubSequence {
        var result = bytes
        while let first = result.first, first == AuthBytes.space || first == AuthBytes.tab { result = result.dropFirst() }
        while let last = result.last, last == AuthBytes.space || last == AuthBytes.tab { result = result.dropLast() }
        return result
    }

    /// Reads and parses the file at `path`. Not for the request path (blocking file I/O).
    public static func load(path: String) -> Result<HtpasswdFile, HtpasswdError> {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            return .failure(HtpasswdError(path: path, line: nil, message: "cannot read htpasswd file: \(error.localizedDescription)"))
        }
        return parse(text, path: path)
    }

    /// Checks a user's password. Costs one full hash computation whether or not the user
    /// exists (unknown users are checked against a dummy hash, then refused), and the
    /// computed hash is compared in constant time. CPU-bound (bcrypt cost 10 ≈ 50–100 ms):
    /// call it off the event loop, or through ``BasicAuthVerifier``'s cache.
    public func verify(user: String, password: String) -> Bool {
        guard password.utf8.count <= PasswordHash.maximumPasswordBytes else { return false }
        if let entry = entries[user] {
            return entry.hash.verify(password: password)
        }
        _ = dummy?.verify(password: password)
        return false
    }

    /// The hash field written for `user` (nil for unknown users).
    func hashText(for user: String) -> String? { entries[user]?.text }
}

/// HTTP Basic credentials (RFC 7617).
public enum BasicCredentials {
    /// Maximum decoded credentials length accepted (user + ":" + password).
    static let maximumDecodedBytes = 4096

    /// Parses an `Authorization` field value of the `Basic` scheme (RFC 7617 §2): the scheme
    /// name is case-insensitive, followed by one or more spaces and the base64 (RFC 4648 §4;
    /// padding optional) of `user-id ":" password`, decoded as UTF-8. The user-id is
    /// everything before the first colon, so it never contains one; the password may.
    /// Values with control characters in either part (forbidden by §2), invalid base64 or
    /// invalid UTF-8 yield nil.
    public static func parse<S: StringProtocol>(authorizationValue: S) -> (user: String, password: String)? {
        let value = Substring(authorizationValue)
        guard let (scheme, token) = AuthBytes.schemeAndToken68(value.utf8),
            AuthBytes.equalsLowercasedASCII(scheme, "basic"),
            !token.isEmpty, token.count <= (maximumDecodedBytes / 3 + 1) * 4,
            let decoded = Base64Decoder.decode(token, urlSafe: false)
        else { return nil }
        guard let colon = decoded.firstIndex(of: UInt8(ascii: ":")),
            !decoded.contains(where: AuthBytes.isControl)
        else { return nil }
        guard let user = String(validating: decoded[..<colon], as: UTF8.self),
            let password = String(validating: decoded[(colon + 1)...], as: UTF8.self)
        else { return nil }
        return (user, password)
    }
}

extension HtpasswdFile: CustomStringConvertible, CustomDebugStringConvertible {
    /// Names the file and counts users; never prints hashes (they are offline-crackable).
    public var description: String { "HtpasswdFile(\(path), \(entries.count) users)" }
    public var debugDescription: String { description }
}
