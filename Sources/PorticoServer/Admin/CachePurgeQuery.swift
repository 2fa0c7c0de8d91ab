/// The query of `POST /api/cache/purge`: exactly one of `url=<absolute URL>` or
/// `prefix=<URL prefix>`, percent-decoded (RFC 3986 §2.1).
///
/// Strict on purpose: a purge that silently matched nothing because of a misspelt
/// parameter, or one that guessed between two, would leave stale content in place while
/// reporting success. `+` is kept as a plus sign (it is a legal URL character, and this
/// is not a form submission): encode a space as `%20`.
enum CachePurgeQuery {
    struct Problem: Error, Equatable {
        var message: String
    }

    static let usage = "give exactly one of url=<absolute URL> or prefix=<URL prefix>, percent-encoded"

    static func parse(_ query: Substring?) -> Result<CachePurgeTarget, Problem> {
        var url: String?
        var prefix: String?
        for pair in (query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let nameAndValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = nameAndValue[0]
            guard let value = AdminRouter.percentDecode(nameAndValue.count > 1 ? nameAndValue[1] : "") else {
                return .failure(Problem(message: "invalid percent-encoding in the \(name) parameter"))
            }
            switch name {
            case "url":
                guard url == nil else { return .failure(Problem(message: "url is given more than once; \(usage)")) }
                url = value
            case "prefix":
                guard prefix == nil else { return .failure(Problem(message: "prefix is given more than once; \(usage)")) }
                prefix = value
            default:
                return .failure(Problem(message: "unknown parameter \(configQuotedText(String(name))); \(usage)"))
            }
        }
        switch (url, prefix) {
        case (nil, nil):
            return .failure(Problem(message: "nothing to purge: \(usage)"))
        case (.some, .some):
            return .failure(Problem(message: "url and prefix are both given: \(usage)"))
        case (let url?, nil):
            guard isAbsolute(url) else {
                return .failure(Problem(message: "url must be an absolute URL such as https://example.com/page"))
            }
            return .success(.url(url))
        case (nil, let prefix?):
            guard isAbsolute(prefix) else {
                return .failure(Problem(message: "prefix must start with a scheme and host, such as https://example.com/static/"))
            }
            return .success(.prefix(prefix))
        }
    }

    /// `scheme://` and at least one more character (RFC 3986 §3.1: a scheme is a letter
    /// followed by letters, digits, `+`, `-` or `.`). The cache keys absolute URIs, so
    /// anything else could never match.
    static func isAbsolute(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        func isLetter(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
        }
        guard let first = bytes.first, isLetter(first) else { return false }
        var index = 1
        while index < bytes.count, isLetter(bytes[index]) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index])
            || bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: ".")
        {
            index += 1
        }
        return bytes.count > index + 3 && bytes[index..<(index + 3)].elementsEqual("://".utf8)
    }
}
