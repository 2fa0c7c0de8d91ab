/// Settings for ``JWTVerifier``: the keys tokens may be signed with, and the claims checks.
public struct JWTVerifierConfig: Sendable, Equatable {
    /// The accepted JWS algorithms (RFC 7518 §3.1). Each configured key is bound to exactly
    /// one; a token naming another algorithm is refused before any cryptography runs
    /// (RFC 8725 §2.1, §3.1). `none` is never accepted.
    public enum Algorithm: String, Sendable, CaseIterable, Equatable {
        /// HMAC SHA-256 with a shared secret (`secret`, at least 32 bytes).
        case hs256 = "HS256"
        /// RSASSA-PKCS1-v1_5 SHA-256 with an RSA public key of at least 2048 bits (`publicKeyPEM`).
        case rs256 = "RS256"
        /// ECDSA P-256 SHA-256 (`publicKeyPEM`).
        case es256 = "ES256"
    }

    public struct Key: Sendable, Equatable {
        public var algorithm: Algorithm
        /// The HMAC secret (UTF-8 bytes) for HS256; must be nil otherwise.
        public var secret: String?
        /// A PEM `PUBLIC KEY` (SubjectPublicKeyInfo; for RSA also `RSA PUBLIC KEY`) or a PEM
        /// `CERTIFICATE` whose key is used, for RS256 / ES256; must be nil for HS256.
        public var publicKeyPEM: String?
        /// Key ID matched against the token header's `kid`. Tokens with a `kid` are checked
        /// against the key with that ID, or, when no key has it, against keys without an ID.
        /// Tokens without `kid` are checked against every key of their algorithm.
        public var kid: String?

        public init(algorithm: Algorithm, secret: String? = nil, publicKeyPEM: String? = nil, kid: String? = nil) {
            self.algorithm = algorithm
            self.secret = secret
            self.publicKeyPEM = publicKeyPEM
            self.kid = kid
        }

        public static func hs256(secret: String, kid: String? = nil) -> Key {
            Key(algorithm: .hs256, secret: secret, kid: kid)
        }

        public static func rs256(publicKeyPEM: String, kid: String? = nil) -> Key {
            Key(algorithm: .rs256, publicKeyPEM: publicKeyPEM, kid: kid)
        }

        public static func es256(publicKeyPEM: String, kid: String? = nil) -> Key {
            Key(algorithm: .es256, publicKeyPEM: publicKeyPEM, kid: kid)
        }
    }

    public var keys: [Key]
    /// Accepted `aud` values; a token must name at least one. When empty, tokens carrying an
    /// `aud` claim are refused (RFC 7519 §4.1.3: a recipient that does not identify itself
    /// with a value of a present `aud` MUST reject the token).
    public var audience: [String]
    /// Required exact `iss` value, if any.
    public var issuer: String?
    /// Clock-skew allowance applied to `exp` and `nbf`.
    public var leeway: Duration
    /// Claims that must be present (and not null), e.g. `["exp", "sub"]`.
    public var requiredClaims: [String]

    public init(
        keys: [Key], audience: [String] = [], issuer: String? = nil, leeway: Duration = .zero,
        requiredClaims: [String] = []
    ) {
        self.keys = keys
        self.audience = audience
        self.issuer = issuer
        self.leeway = leeway
        self.requiredClaims = requiredClaims
    }
}

/// A ``JWTVerifierConfig`` that cannot be used.
public struct JWTConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Index into ``JWTVerifierConfig/keys`` of the offending key, if the problem is a key.
    public var keyIndex: Int?
    public var message: String

    public init(keyIndex: Int?, message: String) {
        self.keyIndex = keyIndex
        self.message = message
    }

    public var description: String { message }
}
