import PorticoCore

/// Whether a response may be compressed on the fly.
///
/// A response is left as it is when compressing it would be wrong or pointless:
/// - **1xx, 204, 304**: no content to code (RFC 9110 §6.4.1, §15.3.5, §15.4.5).
/// - **206**: the ranges are of the identity representation; recoding them would
///   break the client's reassembly (RFC 9110 §14).
/// - **HEAD**: the integrator sends HEAD responses unchanged, because the length and
///   validators of the compressed body are unknown without producing it
///   (RFC 9110 §9.3.2 says HEAD mirrors GET's header, which we cannot without the body).
/// - **Already encoded**: any `Content-Encoding` but `identity` (RFC 9110 §8.4);
///   coding twice wastes CPU and confuses clients.
/// - **`Cache-Control: no-transform`**: intermediaries must not change the content
///   (RFC 9110 §7.7, RFC 9111 §5.2.2.6).
/// - **Media type not in `types`**, or no `Content-Type` at all: images, video and
///   archives are compressed already, and an unknown type could be anything.
/// - **Known length below `min_length`** (and always an empty body): the coding's
///   header and trailer outweigh any saving.
public enum CompressionEligibility {
    /// - Parameters:
    ///   - status: the final status (never 204, 304, 1xx, or 206).
    ///   - isHEAD: the request was HEAD (the length would change; sent as is).
    ///   - contentType: the response's `Content-Type`, nil when absent.
    ///   - contentEncoding: the response's `Content-Encoding`, nil when absent
    ///     (anything but `identity` means already encoded).
    ///   - cacheControl: the response's `Cache-Control` (`no-transform`, RFC 9111 §5.2.2.6).
    ///   - contentLength: the response's length when known (`min_length`).
    public static func shouldCompress(
        status: Int,
        isHEAD: Bool,
        contentType: String?,
        contentEncoding: String?,
        cacheControl: String?,
        contentLength: Int?,
        config: CompressionConfig
    ) -> Bool {
        guard !config.algorithms.isEmpty else { return false }
        guard status >= 200, status != 204, status != 206, status != 304 else { return false }
        guard !isHEAD else { return false }
        if let contentEncoding, isEncoded(contentEncoding) { return false }
        if let cacheControl, hasNoTransform(cacheControl) { return false }
        guard let contentType, let mediaType = mediaType(of: contentType),
            matches(mediaType, types: config.types)
        else { return false }
        if let contentLength, contentLength == 0 || contentLength < config.minLength { return false }
        return true
    }

    /// Whether a `Content-Encoding` value lists a coding other than `identity`.
    public static func isEncoded(_ contentEncoding: String) -> Bool {
        FieldListParsing.members(contentEncoding).contains { $0.lowercased() != "identity" }
    }

    /// Whether a `Cache-Control` value carries `no-transform` (RFC 9111 §5.2.2.6).
    /// Directive names are case-insensitive (RFC 9111 §5.2); a `no-transform` inside
    /// another directive's quoted argument does not count.
    public static func hasNoTransform(_ cacheControl: String) -> Bool {
        FieldListParsing.members(cacheControl).contains { directive in
            let name = directive.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            return FieldListParsing.trimmingOWS(name).lowercased() == "no-transform"
        }
    }

    /// The media type of a `Content-Type` value without parameters, lower-cased
    /// (RFC 9110 §8.3.1: type and subtype are case-insensitive); nil when it is not
    /// `type/subtype`.
    public static func mediaType(of contentType: String) -> String? {
        let essence = FieldListParsing.trimmingOWS(
            contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        )
        let halves = essence.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, !halves[0].isEmpty, !halves[1].isEmpty else { return nil }
        return essence.lowercased()
    }

    /// Whether `mediaType` (lower-case, no parameters) is one of `types`: exact entries,
    /// `type/*` for a whole top-level type, or `*/*` for everything.
    public static func matches(_ mediaType: String, types: [String]) -> Bool {
        types.contains { entry in
            let pattern = FieldListParsing.trimmingOWS(entry[...]).lowercased()
            if pattern == "*/*" { return true }
            if pattern.hasSuffix("/*") { return mediaType.hasPrefix(pattern.dropLast()) }
            return mediaType == pattern
        }
    }
}
