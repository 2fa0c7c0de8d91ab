import Foundation
import JWTKit
import Synchronization

/// Why a bearer token was refused.
public enum JWTInvalidReason: Sendable, Equatable, CustomStringConvertible {
    /// No `Authorization: Bearer` credentials (absent header, or another scheme).
    case missingToken
    /// Not a well-formed compact JWS, or a header this verifier does not support.
    case malformedToken(String)
    /// `alg: none` (in any letter case): unsecured JWTs are never accepted.
    case algorithmNone
    /// The token's `alg` is not that of any key it could be checked against (for example an
    /// HS256 token when only RS256 keys are configured: the key-confusion attack of
    /// RFC 8725 §2.1), or not a supported algorithm at all.
    case algorithmNotAllowed(String)
    /// The token names a `kid` that no configured key has (and no key without a `kid` exists).
    case unknownKey(kid: String)
    /// The signature does not verify with any candidate key.
    case badSignature
    /// `exp` is in the past (beyond the leeway).
    case expired
    /// `nbf` is in the future (beyond the leeway).
    case notYetValid
    /// `aud` is missing or names none of the configured audiences (or is present when none
    /// is configured).
    case wrongAudience
    /// `iss` is missing or differs from the configured issuer.
    case wrongIssuer
    /// A claim listed in ``JWTVerifierConfig/requiredClaims`` is absent or null.
    case missingClaim(String)
    /// A registered claim has the wrong JSON type (`exp`/`nbf` not a number, `aud` not a
    /// string or array of strings, `iss` not a string).
    case invalidClaim(String)

    public var description: String {
        switch self {
        case .missingToken: return "missing bearer token"
        case .malformedToken(let detail): return "malformed token: \(detail)"
        case .algorithmNone: return "unsecured token (alg none) refused"
        case .algorithmNotAllowed(let alg): return "algorithm \"\(alg)\" not allowed"
        case .unknownKey(let kid): return "unknown key id \"\(kid)\""
        case .badSignature: return "bad signature"
        case .expired: return "token expired"
        case .notYetValid: return "token not yet valid"
        case .wrongAudience: return "wrong audience"
        case .wrongIssuer: return "wrong issuer"
        case .missingClaim(let name): return "missing claim \"\(name)\""
        case .invalidClaim(let name): return "invalid claim \"\(name)\""
        }
    }

    /// RFC 6750 §3.1 error code for the `WWW-Authenticate` challenge; nil when the request
    /// carried no bearer credentials (the challenge then has no error attribute).
    public var errorCode: String? {
        self == .missingToken ? nil : "invalid_token"
    }

    /// Short client-facing text for `error_description` (fixed wording; no token content).
    public var errorDescription: String {
        switch self {
        case .missingToken: return "No bearer token"
        case .malformedToken: return "The token is malformed"
        case .algorithmNone, .algorithmNotAllowed: return "The token algorithm is not allowed"
        case .unknownKey, .badSignature: return "The token signature is invalid"
        case .expired: return "The token has expired"
        case .notYetValid: return "The token is not yet valid"
        case .wrongAudience: return "The token audience is not accepted"
        case .wrongIssuer: return "The token issuer is not accepted"
        case .missingClaim(let name): return "The token lacks the \(name) claim"
        case .invalidClaim(let name): return "The token \(name) claim is invalid"
        }
    }
}

public enum JWTVerificationResult: Sendable, Equatable {
    /// Verified. Top-level string, number and boolean claims as text (numbers without
    /// exponent when integral), for forwarding as headers; arrays, objects and nulls omitted.
    /// String values are the token's, unaltered: they may contain any Unicode, CR and LF
    /// included, so check them (RFC 9110 §5.5) before writing them into a header field.
    case valid(claims: [String: String])
    case invalid(JWTInvalidReason)
}

/// Verifies JWS compact-serialised JWTs (RFC 7519) from `Authorization: Bearer` values
/// (RFC 6750 §2.1), following the JWT BCP (RFC 8725): the algorithm comes from the key,
/// never from the token (`alg` must equal the candidate key's algorithm, `none` is always
/// refused), keys are typed (an HS256 secret and an RSA key cannot be confused), `crit` is
/// refused, and the claims checked are `exp`, `nbf` (with leeway), `iss`, `aud` and the
/// configured required claims, after the signature. Signatures are checked by jwt-kit.
public final class JWTVerifier: Sendable {
    /// Tokens longer than this are refused unparsed.
    public static let maximumTokenBytes = 16 * 1024

    enum Material: Sendable {
        case hmac(HMACKey)
        case rsa(Insecure.RSA.PublicKey)
        case ecdsa(ES256PublicKey)
    }

    final class PreparedKey: Sendable {
        let algorithm: JWTVerifierConfig.Algorithm
        let kid: String?
        let material: Material
        /// One jwt-kit collection per key, holding only that key as its default signer, so
        /// jwt-kit's own key selection (which falls back to the default signer for an unknown
        /// `kid`) has nothing to choose from: selection is done here.
        private let collection = JWTKeyCollection()
        /// Keys are added to the actor on first use (adding is async; `init` is not).
        private let installed = Mutex(false)

        init(algorithm: JWTVerifierConfig.Algorithm, kid: String?, material: Material) {
            self.algorithm = algorithm
            self.kid = kid
            self.material = material
        }

        func keyCollection() async -> JWTKeyCollection {
            if installed.withLock({ $0 }) { return collection }
            // Two first callers may both add; the second replaces the default signer with an
            // identical one, which is harmless.
            switch material {
            case .hmac(let key): await collection.add(hmac: key, digestAlgorithm: .sha256)
            case .rsa(let key): await collection.add(rsa: key, digestAlgorithm: .sha256)
            case .ecdsa(let key): await collection.add(ecdsa: key)
            }
            installed.withLock { $0 = true }
            return collection
        }
    }

    struct RawClaims: JWTPayload {
        var values: [String: JSONValue]

        init(from decoder: any Decoder) throws {
            values = try [String: JSONValue](from: decoder)
        }

        func encode(to encoder: any Encoder) throws {
            try values.encode(to: encoder)
        }

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    public let config: JWTVerifierConfig
    let keys: [PreparedKey]
    private let leewaySeconds: Double

    /// Validates and loads the keys. Throws ``JWTConfigError`` naming the key at fault:
    /// missing or extra secret/PEM, HS256 secret shorter than 32 bytes (RFC 7518 §3.2) or
    /// looking like a PEM key, unparsable PEM, private key instead of public, RSA key under
    /// 2048 bits, duplicate `kid`, negative leeway.
    public init(config: JWTVerifierConfig) throws {
        guard !config.keys.isEmpty else {
            throw JWTConfigError(keyIndex: nil, message: "jwt: no keys configured")
        }
        guard config.leeway >= .zero else {
            throw JWTConfigError(keyIndex: nil, message: "jwt: leeway must not be negative")
        }
        var seenKids: [String: Int] = [:]
        var prepared: [PreparedKey] = []
        for (index, key) in config.keys.enumerated() {
            let label = "jwt: keys[\(index)] (\(key.algorithm.rawValue)\(key.kid.map { ", kid \"\($0)\"" } ?? ""))"
            func fail(_ message: String) -> JWTConfigError {
                JWTConfigError(keyIndex: index, message: "\(label): \(message)")
            }
            if let kid = key.kid {
                if let previous = seenKids[kid] { throw fail("duplicate kid (also keys[\(previous)])") }
                seenKids[kid] = index
            }
            let material: Material
            switch key.algorithm {
            case .hs256:
                guard key.publicKeyPEM == nil else { throw fail("HS256 takes a secret, not a publicKeyPEM") }
                guard let secret = key.secret else { throw fail("secret is required") }
                guard !secret.contains("-----BEGIN") else {
                    throw fail("the secret looks like a PEM key; configure the key as RS256 or ES256 with publicKeyPEM")
                }
                guard secret.utf8.count >= 32 else {
                    throw fail("secret must be at least 32 bytes (RFC 7518 §3.2), got \(secret.utf8.count)")
                }
                material = .hmac(HMACKey(from: secret))
            case .rs256, .es256:
                guard key.secret == nil else { throw fail("\(key.algorithm.rawValue) takes a publicKeyPEM, not a secret") }
                guard let pem = key.publicKeyPEM, !pem.isEmpty else { throw fail("publicKeyPEM is required") }
                if pem.contains("PRIVATE KEY-----") {
                    throw fail("publicKeyPEM holds a private key; configure the public key (or certificate) only")
                }
                let isCertificate = pem.contains("-----BEGIN CERTIFICATE-----")
                do {
                    if key.algorithm == .rs256 {
                        material = .rsa(isCertificate ? try Insecure.RSA.PublicKey(certificatePEM: pem) : try Insecure.RSA.PublicKey(pem: pem))
                    } else {
                        material = .ecdsa(isCertificate ? try ES256PublicKey(certificate: pem) : try ES256PublicKey(pem: pem))
                    }
                } catch {
                    let what = key.algorithm == .rs256 ? "an RSA public key of at least 2048 bits" : "a P-256 public key"
                    throw fail("publicKeyPEM is not \(what)\(isCertificate ? " certificate" : ""): \(error)")
                }
            }
            prepared.append(PreparedKey(algorithm: key.algorithm, kid: key.kid, material: material))
        }
        self.config = config
        self.keys = prepared
        let (seconds, attoseconds) = config.leeway.components
        self.leewaySeconds = Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Verifies the token in an `Authorization` field value (`Bearer <token>`, scheme
    /// case-insensitive). Pass an empty value when the header is absent.
    public func verify(authorizationValue: Substring, now: Date) async -> JWTVerificationResult {
        guard let (scheme, token) = AuthBytes.schemeAndToken68(authorizationValue.utf8),
            AuthBytes.equalsLowercasedASCII(scheme, "bearer")
        else { return .invalid(.missingToken) }
        guard !token.isEmpty else { return .invalid(.malformedToken("empty bearer token")) }
        return await verify(token: Substring(token), now: now)
    }

    /// Verifies a bare compact JWS.
    public func verify(token: Substring, now: Date) async -> JWTVerificationResult {
        let bytes = Array(token.utf8)
        guard bytes.count <= Self.maximumTokenBytes else { return .invalid(.malformedToken("token too long")) }
        guard bytes.allSatisfy(Self.isBase64URLOrDot) else {
            return .invalid(.malformedToken("unexpected character in token"))
        }
        let segments = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count == 3 else {
            return .invalid(.malformedToken("expected 3 dot-separated segments, got \(segments.count)"))
        }
        guard !segments[0].isEmpty, !segments[1].isEmpty else {
            return .invalid(.malformedToken("empty header or payload"))
        }
        guard let headerJSON = Base64Decoder.decode(segments[0], urlSafe: true) else {
            return .invalid(.malformedToken("header is not base64url"))
        }
        guard let header = try? JSONDecoder().decode([String: JSONValue].self, from: Data(headerJSON)) else {
            return .invalid(.malformedToken("header is not a JSON object"))
        }
        guard let algValue = header["alg"] else { return .invalid(.malformedToken("header has no alg")) }
        guard case .string(let alg) = algValue else { return .invalid(.malformedToken("header alg is not a string")) }
        if alg.lowercased() == "none" { return .invalid(.algorithmNone) }
        guard let algorithm = JWTVerifierConfig.Algorithm(rawValue: alg) else {
            return .invalid(.algorithmNotAllowed(alg))
        }
        if header["crit"] != nil {
            return .invalid(.malformedToken("critical header parameters are not supported"))
        }
        var kid: String?
        switch header["kid"] {
        case nil: kid = nil
        case .string(let value)?: kid = value
        case _?: return .invalid(.malformedToken("header kid is not a string"))
        }

        // Key selection: by kid when the token has one (falling back to keys without an ID),
        // otherwise every key; then only keys of the token's algorithm.
        var candidates = keys
        if let kid {
            candidates = keys.filter { $0.kid == kid }
            if candidates.isEmpty { candidates = keys.filter { $0.kid == nil } }
            if candidates.isEmpty { return .invalid(.unknownKey(kid: kid)) }
        }
        let matching = candidates.filter { $0.algorithm == algorithm }
        guard !matching.isEmpty else { return .invalid(.algorithmNotAllowed(alg)) }

        var claims: RawClaims?
        var failure: JWTInvalidReason = .badSignature
        let tokenString = String(decoding: bytes, as: UTF8.self)
        for key in matching {
            do {
                claims = try await key.keyCollection().verify(tokenString, as: RawClaims.self)
                break
            } catch let error as JWTError where error.errorType == .malformedToken {
                // The signature verified (jwt-kit decodes the payload only afterwards) but
                // the payload is not a JSON object.
                failure = .malformedToken("payload is not a JSON object")
            } catch {
                continue
            }
        }
        guard let claims else { return .invalid(failure) }
        if let reason = checkClaims(claims.values, now: now) { return .invalid(reason) }
        var flattened: [String: String] = [:]
        for (name, value) in claims.values {
            if let text = value.flattened { flattened[name] = text }
        }
        return .valid(claims: flattened)
    }

    func checkClaims(_ values: [String: JSONValue], now: Date) -> JWTInvalidReason? {
        let current = now.timeIntervalSince1970
        if let exp = values["exp"], exp != .null {
            guard let seconds = exp.numberValue else { return .invalidClaim("exp") }
            if current >= seconds + leewaySeconds { return .expired }
        }
        if let nbf = values["nbf"], nbf != .null {
            guard let seconds = nbf.numberValue else { return .invalidClaim("nbf") }
            if current + leewaySeconds < seconds { return .notYetValid }
        }
        if let issuer = config.issuer {
            switch values["iss"] {
            case .string(let value)?: if value != issuer { return .wrongIssuer }
            case nil, .null?: return .wrongIssuer
            case _?: return .invalidClaim("iss")
            }
        }
        let audiences: [String]?
        switch values["aud"] {
        case nil, .null?: audiences = nil
        case .string(let value)?: audiences = [value]
        case .array(let items)?:
            var strings: [String] = []
            for item in items {
                guard case .string(let value) = item else { return .invalidClaim("aud") }
                strings.append(value)
            }
            audiences = strings
        case _?: return .invalidClaim("aud")
        }
        if config.audience.isEmpty {
            if audiences != nil { return .wrongAudience }
        } else {
            guard let audiences, audiences.contains(where: config.audience.contains) else { return .wrongAudience }
        }
        for name in config.requiredClaims {
            guard let value = values[name], value != .null else { return .missingClaim(name) }
        }
        return nil
    }

    private static func isBase64URLOrDot(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }
}
