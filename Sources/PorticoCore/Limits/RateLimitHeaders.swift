/// Response fields that tell a client about its rate limit.
///
/// Follows draft-ietf-httpapi-ratelimit-headers-09 (March 2025; the `RateLimit-Policy` /
/// `RateLimit` pair with `q`/`w` and `r`/`t` parameters that the draft has used since
/// -08, replacing the older `RateLimit-Limit`/`-Remaining`/`-Reset` trio):
///
///     RateLimit-Policy: "name";q=LIMIT;w=WINDOW
///     RateLimit: "name";r=REMAINING;t=RESET
///
/// Both are Structured Field lists of one item; the policy name is an sf-string. `t` is
/// whole seconds until the bucket is full again, rounded up (`GCRADecision.resetAfterNanos`).
///
/// A rejected decision adds `Retry-After` (RFC 9110 §10.2.3) in delay-seconds: the wait
/// rounded *up* to whole seconds and at least 1, so a client that honours it is not
/// rejected again for retrying a fraction of a second early (and never sees `0`, which
/// some clients treat as "retry immediately" in a tight loop).
///
/// The legacy `X-RateLimit-Limit` / `X-RateLimit-Remaining` / `X-RateLimit-Reset` fields,
/// which many clients and SDKs still read, are added on request. Their `Reset` is
/// delta-seconds (as in the draft's older `RateLimit-Reset`), not a Unix timestamp.
public enum RateLimitHeaders {
    public static let policyFieldName = "RateLimit-Policy"
    public static let rateLimitFieldName = "RateLimit"
    public static let retryAfterFieldName = "Retry-After"

    /// The fields for one decision of a policy of `limit` requests per `windowSeconds`.
    public static func fields(
        policyName: String,
        limit: Int,
        windowSeconds: Int,
        decision: GCRADecision,
        includeLegacyFields: Bool = false
    ) -> [(String, String)] {
        let name = structuredString(policyName)
        let remaining = max(0, decision.remaining)
        let reset = LimitArithmetic.ceilSeconds(decision.resetAfterNanos)
        var fields: [(String, String)] = [
            (policyFieldName, "\(name);q=\(max(0, limit));w=\(max(0, windowSeconds))"),
            (rateLimitFieldName, "\(name);r=\(remaining);t=\(reset)"),
        ]
        if !decision.allowed {
            fields.append((retryAfterFieldName, String(retryAfterSeconds(nanos: decision.retryAfterNanos))))
        }
        if includeLegacyFields {
            fields.append(("X-RateLimit-Limit", String(max(0, limit))))
            fields.append(("X-RateLimit-Remaining", String(remaining)))
            fields.append(("X-RateLimit-Reset", String(reset)))
        }
        return fields
    }

    /// `Retry-After` delay-seconds for a wait: rounded up, at least 1.
    public static func retryAfterSeconds(nanos: Int64) -> Int64 {
        max(1, LimitArithmetic.ceilSeconds(nanos))
    }

    /// `name` as a Structured Field string (RFC 9651 §3.3.3): quoted, with `\` and `"`
    /// escaped; characters outside printable ASCII (which an sf-string cannot carry) are
    /// dropped.
    static func structuredString(_ name: String) -> String {
        var result = "\""
        for scalar in name.unicodeScalars {
            switch scalar.value {
            case 0x22, 0x5C:
                result.append("\\")
                result.unicodeScalars.append(scalar)
            case 0x20...0x7E:
                result.unicodeScalars.append(scalar)
            default:
                continue
            }
        }
        result.append("\"")
        return result
    }
}
