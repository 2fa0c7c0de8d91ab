/// Bearer-token checks for the admin listener (RFC 6750 §2.1).
public enum AdminAuthorization {
    public enum Verdict: Sendable, Equatable {
        case allowed
        /// No `Authorization: Bearer` credentials were sent.
        case missing
        /// Credentials were sent but do not match (RFC 6750 §3.1 `invalid_token`).
        case invalid
    }

    /// Checks an `Authorization` header value against the configured token.
    /// The scheme is case-insensitive (RFC 9110 §11.1); the token is compared in
    /// constant time for equal lengths, so response timing does not reveal how many
    /// leading bytes of a guess were right.
    public static func check(authorization: String?, token: String) -> Verdict {
        guard let authorization else { return .missing }
        let trimmed = authorization.drop { $0 == " " || $0 == "\t" }
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return .missing }
        let presented = trimmed.dropFirst(7).drop { $0 == " " }
        var end = presented.endIndex
        while end > presented.startIndex, presented[presented.index(before: end)] == " " {
            end = presented.index(before: end)
        }
        return constantTimeEquals(Array(presented[..<end].utf8), Array(token.utf8)) ? .allowed : .invalid
    }

    /// Compares every byte position of the longer input whatever the content, so the
    /// time depends only on the lengths.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference: UInt8 = lhs.count == rhs.count ? 0 : 1
        let length = max(lhs.count, rhs.count)
        for index in 0..<length {
            let a = index < lhs.count ? lhs[index] : 0
            let b = index < rhs.count ? rhs[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }
}
