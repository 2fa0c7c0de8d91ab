import Crypto
import CryptoExtras
import Foundation
import JWTKit
import Testing

@testable import PorticoAuth

/// Keys generated at test time with swift-crypto, and tokens signed directly with it (not
/// with jwt-kit), so the verifier is checked against an independent signer.
enum JWTFixture {
    static let now = Date(timeIntervalSince1970: 1_750_000_000)
    static let nowSeconds = Int(now.timeIntervalSince1970)
    static let secret = "portico-test-secret-0123456789abcdef"
    static let otherSecret = "another-secret-0123456789abcdef-xyz"
    static let rsa = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let otherRSA = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let ec = P256.Signing.PrivateKey()
    static let otherEC = P256.Signing.PrivateKey()

    enum Signer {
        case hmac([UInt8])
        case rsa(_RSA.Signing.PrivateKey)
        case ec(P256.Signing.PrivateKey)
        case ecDER(P256.Signing.PrivateKey)
        case empty

        static func hmac(_ secret: String) -> Signer { .hmac(Array(secret.utf8)) }

        func sign(_ input: [UInt8]) -> [UInt8] {
            switch self {
            case .hmac(let key):
                return Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: key)))
            case .rsa(let key):
                return Array(try! key.signature(for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5).rawRepresentation)
            case .ec(let key):
                return Array(try! key.signature(for: input).rawRepresentation)
            case .ecDER(let key):
                return Array(try! key.signature(for: input).derRepresentation)
            case .empty:
                return []
            }
        }
    }

    static func base64url(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    static func claims(_ changes: [String: Any?] = [:]) -> [String: Any] {
        var claims: [String: Any] = [
            "sub": "user-42",
            "iss": "https://issuer.example",
            "aud": ["portico", "other-service"],
            "exp": nowSeconds + 300,
            "nbf": nowSeconds - 10,
            "iat": nowSeconds - 10,
            "role": "reader",
            "admin": false,
            "level": 3,
            "ratio": 0.5,
            "groups": ["a", "b"],
            "profile": ["name": "x"],
        ]
        for (name, value) in changes { claims[name] = value }
        return claims
    }

    static func token(
        alg: String = "HS256", kid: String? = nil, header extra: [String: Any] = [:],
        claims: [String: Any] = claims(), signer: Signer
    ) -> String {
        var header: [String: Any] = ["alg": alg, "typ": "JWT"]
        if let kid { header["kid"] = kid }
        for (name, value) in extra { header[name] = value }
        let input = base64url(json(header)) + "." + base64url(json(claims))
        return input + "." + base64url(signer.sign(Array(input.utf8)))
    }

    static let rsaPEM = rsa.publicKey.pemRepresentation
    static let ecPEM = ec.publicKey.pemRepresentation

    static func config(
        keys: [JWTVerifierConfig.Key] = [.hs256(secret: secret)], audience: [String] = ["portico"],
        issuer: String? = "https://issuer.example", leeway: Duration = .zero, requiredClaims: [String] = ["sub"]
    ) -> JWTVerifierConfig {
        JWTVerifierConfig(keys: keys, audience: audience, issuer: issuer, leeway: leeway, requiredClaims: requiredClaims)
    }

    static func verify(_ token: String, _ config: JWTVerifierConfig = config()) async throws -> JWTVerificationResult {
        let verifier = try JWTVerifier(config: config)
        return await verifier.verify(authorizationValue: Substring("Bearer " + token), now: now)
    }

    static func reason(_ token: String, _ config: JWTVerifierConfig = config()) async throws -> JWTInvalidReason? {
        if case .invalid(let reason) = try await verify(token, config) { return reason }
        return nil
    }
}

private typealias F = JWTFixture

struct JWTAcceptanceTests {
    static let expectedClaims: [String: String] = [
        "sub": "user-42", "iss": "https://issuer.example",
        "exp": String(F.nowSeconds + 300), "nbf": String(F.nowSeconds - 10), "iat": String(F.nowSeconds - 10),
        "role": "reader", "admin": "false", "level": "3", "ratio": "0.5",
    ]

    @Test func validHS256() async throws {
        let result = try await F.verify(F.token(signer: .hmac(F.secret)))
        #expect(result == .valid(claims: Self.expectedClaims))
    }

    @Test func validRS256() async throws {
        let config = F.config(keys: [.rs256(publicKeyPEM: F.rsaPEM)])
        let result = try await F.verify(F.token(alg: "RS256", signer: .rsa(F.rsa)), config)
        #expect(result == .valid(claims: Self.expectedClaims))
    }

    @Test func validES256() async throws {
        let config = F.config(keys: [.es256(publicKeyPEM: F.ecPEM)])
        let result = try await F.verify(F.token(alg: "ES256", signer: .ec(F.ec)), config)
        #expect(result == .valid(claims: Self.expectedClaims))
    }

    @Test func schemeIsCaseInsensitiveAndBareTokenAPI() async throws {
        let verifier = try JWTVerifier(config: F.config())
        let token = F.token(signer: .hmac(F.secret))
        #expect(await verifier.verify(authorizationValue: Substring("bearer  " + token + " "), now: F.now) == .valid(claims: Self.expectedClaims))
        #expect(await verifier.verify(token: Substring(token), now: F.now) == .valid(claims: Self.expectedClaims))
    }

    @Test func tokenSignedByJWTKitVerifies() async throws {
        struct Payload: JWTPayload {
            var sub: SubjectClaim
            var exp: ExpirationClaim
            var aud: AudienceClaim
            var iss: IssuerClaim
            func verify(using algorithm: some JWTAlgorithm) async throws {}
        }
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PrivateKey(backing: F.ec))
        let token = try await keys.sign(
            Payload(
                sub: "svc", exp: .init(value: F.now.addingTimeInterval(60)), aud: "portico",
                iss: "https://issuer.example"))
        let result = try await F.verify(token, F.config(keys: [.es256(publicKeyPEM: F.ecPEM)]))
        #expect(result == .valid(claims: ["sub": "svc", "exp": String(F.nowSeconds + 60), "aud": "portico", "iss": "https://issuer.example"]))
    }

    @Test func concurrentFirstUseOfAKey() async throws {
        let verifier = try JWTVerifier(config: F.config(keys: [.rs256(publicKeyPEM: F.rsaPEM), .hs256(secret: F.secret)]))
        let rs = F.token(alg: "RS256", signer: .rsa(F.rsa))
        let hs = F.token(signer: .hmac(F.secret))
        let results = await withTaskGroup(of: JWTVerificationResult.self) { group in
            for i in 0..<32 {
                group.addTask { await verifier.verify(authorizationValue: Substring("Bearer " + (i % 2 == 0 ? rs : hs)), now: F.now) }
            }
            var all: [JWTVerificationResult] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 32)
        #expect(results.allSatisfy { $0 == .valid(claims: Self.expectedClaims) })
    }
}

struct JWTTimeClaimTests {
    @Test func expired() async throws {
        #expect(try await F.reason(F.token(claims: F.claims(["exp": F.nowSeconds - 1]), signer: .hmac(F.secret))) == .expired)
        // RFC 7519 §4.1.4: the current time must be *before* exp.
        #expect(try await F.reason(F.token(claims: F.claims(["exp": F.nowSeconds]), signer: .hmac(F.secret))) == .expired)
    }

    @Test func notYetValid() async throws {
        #expect(try await F.reason(F.token(claims: F.claims(["nbf": F.nowSeconds + 30]), signer: .hmac(F.secret))) == .notYetValid)
    }

    @Test func leewayIsHonouredForExpAndNbf() async throws {
        let lenient = F.config(leeway: .seconds(60))
        let expiredRecently = F.token(claims: F.claims(["exp": F.nowSeconds - 30]), signer: .hmac(F.secret))
        let startsSoon = F.token(claims: F.claims(["nbf": F.nowSeconds + 30]), signer: .hmac(F.secret))
        #expect(try await F.reason(expiredRecently, lenient) == nil)
        #expect(try await F.reason(startsSoon, lenient) == nil)
        let expiredLongAgo = F.token(claims: F.claims(["exp": F.nowSeconds - 61]), signer: .hmac(F.secret))
        let startsLater = F.token(claims: F.claims(["nbf": F.nowSeconds + 61]), signer: .hmac(F.secret))
        #expect(try await F.reason(expiredLongAgo, lenient) == .expired)
        #expect(try await F.reason(startsLater, lenient) == .notYetValid)
    }

    @Test func fractionalNumericDates() async throws {
        let token = F.token(claims: F.claims(["exp": Double(F.nowSeconds) + 0.5]), signer: .hmac(F.secret))
        #expect(try await F.reason(token) == nil)
        let past = F.token(claims: F.claims(["exp": Double(F.nowSeconds) - 0.5]), signer: .hmac(F.secret))
        #expect(try await F.reason(past) == .expired)
    }

    @Test func nonNumericTimeClaimsAreInvalid() async throws {
        #expect(try await F.reason(F.token(claims: F.claims(["exp": "tomorrow"]), signer: .hmac(F.secret))) == .invalidClaim("exp"))
        #expect(try await F.reason(F.token(claims: F.claims(["nbf": true]), signer: .hmac(F.secret))) == .invalidClaim("nbf"))
    }

    @Test func expIsOptionalUnlessRequired() async throws {
        let token = F.token(claims: F.claims(["exp": nil]), signer: .hmac(F.secret))
        #expect(try await F.reason(token) == nil)
        #expect(try await F.reason(token, F.config(requiredClaims: ["sub", "exp"])) == .missingClaim("exp"))
    }
}

struct JWTAudienceIssuerTests {
    @Test func audience() async throws {
        func reason(_ aud: Any?, configured: [String] = ["portico"]) async throws -> JWTInvalidReason? {
            try await F.reason(F.token(claims: F.claims(["aud": aud]), signer: .hmac(F.secret)), F.config(audience: configured))
        }
        #expect(try await reason("portico") == nil)
        #expect(try await reason(["x", "portico"]) == nil)
        #expect(try await reason("portico", configured: ["a", "portico"]) == nil)
        #expect(try await reason("other") == .wrongAudience)
        #expect(try await reason(["x", "y"]) == .wrongAudience)
        #expect(try await reason([String]()) == .wrongAudience)
        #expect(try await reason(nil) == .wrongAudience)
        #expect(try await reason(5) == .invalidClaim("aud"))
        #expect(try await reason(["portico", 5]) == .invalidClaim("aud"))
        // No audience configured: a token addressed to someone is not for us (RFC 7519 §4.1.3).
        #expect(try await reason("portico", configured: []) == .wrongAudience)
        #expect(try await reason(nil, configured: []) == nil)
    }

    @Test func issuer() async throws {
        #expect(try await F.reason(F.token(claims: F.claims(["iss": "https://evil.example"]), signer: .hmac(F.secret))) == .wrongIssuer)
        #expect(try await F.reason(F.token(claims: F.claims(["iss": nil]), signer: .hmac(F.secret))) == .wrongIssuer)
        #expect(try await F.reason(F.token(claims: F.claims(["iss": 7]), signer: .hmac(F.secret))) == .invalidClaim("iss"))
        // Not checked when not configured.
        #expect(try await F.reason(F.token(claims: F.claims(["iss": "anyone"]), signer: .hmac(F.secret)), F.config(issuer: nil)) == nil)
    }

    @Test func requiredClaims() async throws {
        let config = F.config(requiredClaims: ["sub", "tenant"])
        #expect(try await F.reason(F.token(signer: .hmac(F.secret)), config) == .missingClaim("tenant"))
        #expect(try await F.reason(F.token(claims: F.claims(["tenant": NSNull()]), signer: .hmac(F.secret)), config) == .missingClaim("tenant"))
        #expect(try await F.reason(F.token(claims: F.claims(["tenant": "acme"]), signer: .hmac(F.secret)), config) == nil)
        #expect(try await F.reason(F.token(claims: F.claims(["sub": nil]), signer: .hmac(F.secret))) == .missingClaim("sub"))
    }
}

struct JWTSignatureAndAlgorithmTests {
    @Test func wrongKey() async throws {
        #expect(try await F.reason(F.token(signer: .hmac(F.otherSecret))) == .badSignature)
        let rsConfig = F.config(keys: [.rs256(publicKeyPEM: F.rsaPEM)])
        #expect(try await F.reason(F.token(alg: "RS256", signer: .rsa(F.otherRSA)), rsConfig) == .badSignature)
        let esConfig = F.config(keys: [.es256(publicKeyPEM: F.ecPEM)])
        #expect(try await F.reason(F.token(alg: "ES256", signer: .ec(F.otherEC)), esConfig) == .badSignature)
    }

    @Test func tamperedPayload() async throws {
        for (alg, signer, key) in [
            ("HS256", F.Signer.hmac(F.secret), JWTVerifierConfig.Key.hs256(secret: F.secret)),
            ("RS256", .rsa(F.rsa), .rs256(publicKeyPEM: F.rsaPEM)),
            ("ES256", .ec(F.ec), .es256(publicKeyPEM: F.ecPEM)),
        ] {
            let genuine = F.token(alg: alg, signer: signer).split(separator: ".")
            let forged = F.token(alg: alg, claims: F.claims(["role": "admin"]), signer: signer).split(separator: ".")
            let tampered = [genuine[0], forged[1], genuine[2]].joined(separator: ".")
            #expect(try await F.reason(tampered, F.config(keys: [key])) == .badSignature, "\(alg)")
        }
    }

    @Test func tamperedSignatureAndHeader() async throws {
        let token = F.token(signer: .hmac(F.secret))
        var bytes = Array(token.utf8)
        bytes[bytes.count - 2] = bytes[bytes.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(try await F.reason(String(decoding: bytes, as: UTF8.self)) == .badSignature)
        // Header changed (extra field) with the original signature.
        let parts = token.split(separator: ".")
        let header = F.base64url(F.json(["alg": "HS256", "typ": "JWT", "x": 1]))
        #expect(try await F.reason([Substring(header), parts[1], parts[2]].joined(separator: ".")) == .badSignature)
        // Signature stripped.
        #expect(try await F.reason(parts[0] + "." + parts[1] + ".") == .badSignature)
    }

    @Test func ecdsaSignatureMustBeRawNotDER() async throws {
        let config = F.config(keys: [.es256(publicKeyPEM: F.ecPEM)])
        #expect(try await F.reason(F.token(alg: "ES256", signer: .ecDER(F.ec)), config) == .badSignature)
    }

    @Test(arguments: ["none", "None", "NONE", "nOnE"])
    func algNoneIsAlwaysRefused(alg: String) async throws {
        let unsigned = F.token(alg: alg, signer: .empty)
        #expect(try await F.reason(unsigned) == .algorithmNone)
        // Even carrying a valid-looking HMAC.
        #expect(try await F.reason(F.token(alg: alg, signer: .hmac(F.secret))) == .algorithmNone)
    }

    /// RFC 8725 §2.1: an attacker signs an HS256 token using the RSA *public* key (PEM text)
    /// as the HMAC secret, hoping the verifier feeds its RSA key to HMAC.
    @Test func hs256SignedWithThePublicKeyPEMIsRefused() async throws {
        let forged = F.token(alg: "HS256", signer: .hmac(F.rsaPEM))
        #expect(try await F.reason(forged, F.config(keys: [.rs256(publicKeyPEM: F.rsaPEM)])) == .algorithmNotAllowed("HS256"))
        let forgedEC = F.token(alg: "HS256", signer: .hmac(F.ecPEM))
        #expect(try await F.reason(forgedEC, F.config(keys: [.es256(publicKeyPEM: F.ecPEM)])) == .algorithmNotAllowed("HS256"))
        // Aimed at the RSA key by kid while an HS256 key also exists: still the RSA key's algorithm.
        let mixed = F.config(keys: [.rs256(publicKeyPEM: F.rsaPEM, kid: "rsa"), .hs256(secret: F.secret, kid: "hmac")])
        let forgedWithKid = F.token(alg: "HS256", kid: "rsa", signer: .hmac(F.rsaPEM))
        #expect(try await F.reason(forgedWithKid, mixed) == .algorithmNotAllowed("HS256"))
        // Without kid it is checked against the HS256 key, whose secret differs.
        #expect(try await F.reason(F.token(alg: "HS256", signer: .hmac(F.rsaPEM)), mixed) == .badSignature)
    }

    @Test func otherAlgorithmsAreNotAllowed() async throws {
        #expect(try await F.reason(F.token(alg: "HS512", signer: .hmac(F.secret))) == .algorithmNotAllowed("HS512"))
        #expect(try await F.reason(F.token(alg: "hs256", signer: .hmac(F.secret))) == .algorithmNotAllowed("hs256"))
        let rsConfig = F.config(keys: [.rs256(publicKeyPEM: F.rsaPEM)])
        #expect(try await F.reason(F.token(alg: "PS256", signer: .rsa(F.rsa)), rsConfig) == .algorithmNotAllowed("PS256"))
        #expect(try await F.reason(F.token(alg: "ES256", signer: .ec(F.ec)), rsConfig) == .algorithmNotAllowed("ES256"))
    }

    @Test func keySelectionByKid() async throws {
        let config = F.config(keys: [.hs256(secret: F.secret, kid: "a"), .hs256(secret: F.otherSecret, kid: "b")])
        #expect(try await F.reason(F.token(kid: "b", signer: .hmac(F.otherSecret)), config) == nil)
        #expect(try await F.reason(F.token(kid: "a", signer: .hmac(F.secret)), config) == nil)
        #expect(try await F.reason(F.token(kid: "a", signer: .hmac(F.otherSecret)), config) == .badSignature)
        #expect(try await F.reason(F.token(kid: "c", signer: .hmac(F.secret)), config) == .unknownKey(kid: "c"))
        // No kid: every key of the algorithm is tried.
        #expect(try await F.reason(F.token(signer: .hmac(F.otherSecret)), config) == nil)
        // Keys without kid accept tokens with any kid.
        #expect(try await F.reason(F.token(kid: "rotated-2025", signer: .hmac(F.secret))) == nil)
    }

    @Test func critIsRefused() async throws {
        let token = F.token(header: ["crit": ["exp"], "exp": 1], signer: .hmac(F.secret))
        #expect(try await F.reason(token) == .malformedToken("critical header parameters are not supported"))
    }
}

struct JWTMalformedTests {
    @Test(arguments: ["", "Basic dXNlcjpwYXNz", "Token abc.def.ghi", "   "])
    func missingBearer(value: String) async throws {
        let verifier = try JWTVerifier(config: F.config())
        #expect(await verifier.verify(authorizationValue: Substring(value), now: F.now) == .invalid(.missingToken))
    }

    @Test func malformedHeaderAndStructure() async throws {
        let verifier = try JWTVerifier(config: F.config())
        func reason(_ value: String) async -> JWTInvalidReason? {
            if case .invalid(let reason) = await verifier.verify(authorizationValue: Substring(value), now: F.now) { return reason }
            return nil
        }
        let valid = F.token(signer: .hmac(F.secret))
        let parts = valid.split(separator: ".").map(String.init)
        let mac = { (input: String) in F.base64url(F.Signer.hmac(F.secret).sign(Array(input.utf8))) }
        func signed(headerSegment: String) -> String {
            let input = headerSegment + "." + parts[1]
            return "Bearer " + input + "." + mac(input)
        }

        #expect(await reason("Bearer") == .malformedToken("empty bearer token"))
        #expect(await reason("Bearer abc") == .malformedToken("expected 3 dot-separated segments, got 1"))
        #expect(await reason("Bearer \(parts[0]).\(parts[1])") == .malformedToken("expected 3 dot-separated segments, got 2"))
        #expect(await reason("Bearer \(valid).\(parts[2])") == .malformedToken("expected 3 dot-separated segments, got 4"))
        #expect(await reason("Bearer .\(parts[1]).\(parts[2])") == .malformedToken("empty header or payload"))
        #expect(await reason("Bearer \(valid) trailing") == .malformedToken("unexpected character in token"))
        #expect(await reason("Bearer \(parts[0])=.\(parts[1]).\(parts[2])") == .malformedToken("unexpected character in token"))
        #expect(await reason("Bearer " + String(repeating: "a", count: 20_000)) == .malformedToken("token too long"))
        #expect(await reason(signed(headerSegment: "a")) == .malformedToken("header is not base64url"))
        #expect(await reason(signed(headerSegment: F.base64url(Array("not json".utf8)))) == .malformedToken("header is not a JSON object"))
        #expect(await reason(signed(headerSegment: F.base64url(Array("[\"HS256\"]".utf8)))) == .malformedToken("header is not a JSON object"))
        #expect(await reason(signed(headerSegment: F.base64url(F.json(["typ": "JWT"])))) == .malformedToken("header has no alg"))
        #expect(await reason(signed(headerSegment: F.base64url(F.json(["alg": 256])))) == .malformedToken("header alg is not a string"))
        #expect(await reason(signed(headerSegment: F.base64url(F.json(["alg": "HS256", "kid": 1])))) == .malformedToken("header kid is not a string"))
        // The signature is valid but the payload is not a JSON object.
        let input = parts[0] + "." + F.base64url(Array("[1,2]".utf8))
        #expect(await reason("Bearer " + input + "." + mac(input)) == .malformedToken("payload is not a JSON object"))
    }
}

struct JWTConfigTests {
    private func configError(_ keys: [JWTVerifierConfig.Key], leeway: Duration = .zero) -> JWTConfigError? {
        do {
            _ = try JWTVerifier(config: JWTVerifierConfig(keys: keys, leeway: leeway))
            return nil
        } catch let error as JWTConfigError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func acceptsEachKeyKind() throws {
        _ = try JWTVerifier(config: JWTVerifierConfig(keys: [
            .hs256(secret: F.secret), .rs256(publicKeyPEM: F.rsaPEM, kid: "r"), .es256(publicKeyPEM: F.ecPEM, kid: "e"),
            // PKCS#1 "RSA PUBLIC KEY" PEM is accepted as well.
            .rs256(publicKeyPEM: F.otherRSA.publicKey.pkcs1PEMRepresentation, kid: "r2"),
        ]))
    }

    @Test func refusesBadKeys() throws {
        #expect(configError([])?.message == "jwt: no keys configured")
        #expect(configError([.hs256(secret: F.secret)], leeway: .seconds(-1))?.message == "jwt: leeway must not be negative")
        #expect(configError([.hs256(secret: "short")])?.message == "jwt: keys[0] (HS256): secret must be at least 32 bytes (RFC 7518 §3.2), got 5")
        #expect(configError([JWTVerifierConfig.Key(algorithm: .hs256)])?.message == "jwt: keys[0] (HS256): secret is required")
        #expect(
            configError([.hs256(secret: F.rsaPEM)])?.message
                == "jwt: keys[0] (HS256): the secret looks like a PEM key; configure the key as RS256 or ES256 with publicKeyPEM")
        #expect(
            configError([JWTVerifierConfig.Key(algorithm: .hs256, secret: F.secret, publicKeyPEM: F.rsaPEM)])?.message
                == "jwt: keys[0] (HS256): HS256 takes a secret, not a publicKeyPEM")
        #expect(
            configError([JWTVerifierConfig.Key(algorithm: .rs256, secret: F.secret)])?.message
                == "jwt: keys[0] (RS256): RS256 takes a publicKeyPEM, not a secret")
        #expect(configError([JWTVerifierConfig.Key(algorithm: .es256)])?.message == "jwt: keys[0] (ES256): publicKeyPEM is required")
        #expect(
            configError([.hs256(secret: F.secret), .rs256(publicKeyPEM: F.rsa.pemRepresentation, kid: "k")])?.message
                == "jwt: keys[1] (RS256, kid \"k\"): publicKeyPEM holds a private key; configure the public key (or certificate) only")
        #expect(
            configError([.hs256(secret: F.secret, kid: "k"), .hs256(secret: F.otherSecret, kid: "k")])?.message
                == "jwt: keys[1] (HS256, kid \"k\"): duplicate kid (also keys[0])")

        let garbage = configError([.rs256(publicKeyPEM: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")])
        #expect(garbage?.keyIndex == 0)
        #expect(garbage?.message.hasPrefix("jwt: keys[0] (RS256): publicKeyPEM is not an RSA public key of at least 2048 bits") == true)
        // Key of the wrong type for the algorithm.
        #expect(configError([.rs256(publicKeyPEM: F.ecPEM)])?.message.hasPrefix("jwt: keys[0] (RS256): publicKeyPEM is not an RSA public key") == true)
        #expect(configError([.es256(publicKeyPEM: F.rsaPEM)])?.message.hasPrefix("jwt: keys[0] (ES256): publicKeyPEM is not a P-256 public key") == true)
        // RSA below 2048 bits (RFC 7518 §3.3).
        let weak = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        #expect(configError([.rs256(publicKeyPEM: weak.publicKey.pemRepresentation)])?.message.hasPrefix("jwt: keys[0] (RS256): publicKeyPEM is not an RSA public key of at least 2048 bits") == true)
    }
}
