import PorticoCore

/// Content negotiation on `Accept-Encoding` (RFC 9110 §12.5.3).
///
/// Deliberate choices where the RFC leaves room:
/// - **No `Accept-Encoding`**: §12.5.3 lets a server pick any coding, but clients that
///   send none are usually tools that cannot decode; like nginx, Caddy and HAProxy we
///   send identity (nil).
/// - **Empty `Accept-Encoding`**: the client wants identity only (§12.5.3) — nil.
/// - **`identity;q=0` or `*;q=0` with nothing acceptable**: the RFC allows a 406, but we
///   only ever choose among `offered` and fall back to identity, which every server in
///   practice does; an unreadable 406 helps nobody.
/// - **A coding listed twice**: the first listing counts.
public enum ContentNegotiation {
    /// The coding to use for a client that sent `acceptEncoding` (all lines joined;
    /// nil when absent), among `offered` in Portico's order of preference, or nil
    /// for identity (no compression).
    ///
    /// The offered coding with the highest weight above 0 wins; equal weights go to
    /// the one earlier in `offered`. A coding the client does not list takes the
    /// weight of `*`, or 0 without one.
    public static func choose(acceptEncoding: String?, offered: [ContentCodingName]) -> ContentCodingName? {
        guard let acceptEncoding, !offered.isEmpty else { return nil }
        let preferences = AcceptEncodingPreferences(parsing: acceptEncoding)
        var best: (coding: ContentCodingName, weight: Int)?
        for coding in offered {
            let weight = preferences.weight(of: coding.rawValue)
            guard weight > 0 else { continue }
            if best == nil || weight > best!.weight {
                best = (coding, weight)
            }
        }
        return best?.coding
    }
}

/// A parsed `Accept-Encoding` value: each listed coding's weight, in thousandths.
public struct AcceptEncodingPreferences: Sendable, Equatable {
    /// Explicitly listed codings (lower-cased, `x-gzip` as `gzip`) and their weights
    /// in thousandths (0–1000).
    public private(set) var weights: [String: Int] = [:]
    /// The weight of `*` in thousandths, when listed.
    public private(set) var wildcardWeight: Int?

    /// Parses `Accept-Encoding = #( codings [ weight ] )` (RFC 9110 §12.5.3).
    ///
    /// Codings are case-insensitive tokens (§8.4.1); `x-gzip` is an alias of `gzip`
    /// (§8.4.1.3). An element whose `q` is not a valid qvalue (§12.4.2: `0` to `1`,
    /// at most three decimals) is ignored as a whole, as is one that is not a token;
    /// other parameters, which the grammar does not allow, are ignored.
    public init(parsing value: String) {
        for element in FieldListParsing.members(value) {
            let parts = FieldListParsing.members(element, separator: ";")
            guard let rawCoding = parts.first, Self.isToken(rawCoding) else { continue }
            var weight = 1000
            var valid = true
            for parameter in parts.dropFirst() {
                guard let equals = parameter.firstIndex(of: "=") else { continue }
                let name = FieldListParsing.trimmingOWS(parameter[..<equals])
                guard name.lowercased() == "q" else { continue }
                let rawWeight = FieldListParsing.trimmingOWS(parameter[parameter.index(after: equals)...])
                guard let parsed = Self.qvalue(rawWeight) else {
                    valid = false
                    break
                }
                weight = parsed
            }
            guard valid else { continue }
            var coding = rawCoding.lowercased()
            if coding == "x-gzip" { coding = "gzip" }
            if coding == "*" {
                if wildcardWeight == nil { wildcardWeight = weight }
            } else if weights[coding] == nil {
                weights[coding] = weight
            }
        }
    }

    /// The weight the client gives `coding` (lower-case token), in thousandths:
    /// its own listing, else that of `*`, else 0 (not acceptable).
    public func weight(of coding: String) -> Int {
        weights[coding] ?? wildcardWeight ?? 0
    }

    /// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` (RFC 9110 §12.4.2),
    /// in thousandths; nil when malformed.
    static func qvalue(_ text: Substring) -> Int? {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        var thousandths = first == UInt8(ascii: "1") ? 1000 : 0
        guard bytes.count > 1 else { return thousandths }
        guard bytes[1] == UInt8(ascii: "."), bytes.count <= 5 else { return nil }
        var scale = 100
        for digit in bytes.dropFirst(2) {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            thousandths += Int(digit - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        return thousandths <= 1000 ? thousandths : nil
    }

    /// `token = 1*tchar` (RFC 9110 §5.6.2); `*` is a tchar, so the wildcard passes.
    static func isToken(_ text: Substring) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    return true
                default:
                    return "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
    }
}
