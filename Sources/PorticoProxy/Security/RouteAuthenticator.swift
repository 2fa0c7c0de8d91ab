import Foundation
import NIOCore
import NIOPosix
import PorticoAuth
import PorticoCore

/// A route's `auth:` with its files loaded: an htpasswd file for Basic (RFC 7617), keys
/// for JWT bearer tokens (RFC 7519, RFC 6750), or the address of a forward-auth service.
///
/// Loading happens when a configuration generation is built (start and reload), so a
/// missing or unreadable file stops a start, or fails a reload while the old
/// configuration keeps serving.
final class RouteAuthenticator: Sendable {
    enum Kind: Sendable {
        case basic(BasicAuthVerifier, realm: String)
        case jwt(JWTVerifier, JWTAuthConfig)
        case forward(ForwardAuthConfig)
    }

    let kind: Kind
    /// Remove `Authorization` before forwarding.
    let stripAuthorization: Bool
    /// Request headers only authentication may set (`forward_claims` headers, forward
    /// auth's `copy_headers`): the client's own copies are always removed.
    let protectedHeaders: [String]

    struct LoadError: Error, CustomStringConvertible {
        let route: String
        let message: String
        var description: String { "route \(self.route): auth: \(self.message)" }
    }

    init(route: String, auth: RouteAuth) throws {
        self.stripAuthorization = auth.stripAuthorization
        switch auth {
        case .basic: self.protectedHeaders = []
        case .jwt(let config): self.protectedHeaders = config.forwardClaims.map(\.header)
        case .forward(let config): self.protectedHeaders = config.copyHeaders
        }
        switch auth {
        case .basic(let config):
            switch HtpasswdFile.load(path: config.htpasswdPath) {
            case .success(let file):
                self.kind = .basic(BasicAuthVerifier(file: file), realm: config.realm)
            case .failure(let error):
                throw LoadError(route: route, message: "\(error)")
            }
        case .jwt(let config):
            var keys: [JWTVerifierConfig.Key] = []
            for (index, key) in config.keys.enumerated() {
                guard let algorithm = JWTVerifierConfig.Algorithm(rawValue: key.algorithm.rawValue) else {
                    throw LoadError(route: route, message: "keys[\(index)]: \(key.algorithm.rawValue) is not supported yet (use HS256, RS256 or ES256)")
                }
                switch key.material {
                case .secret(let secret):
                    keys.append(JWTVerifierConfig.Key(algorithm: algorithm, secret: secret, kid: key.kid))
                case .secretFile(let path):
                    let secret = try Self.read(path, route: route).trimmingCharacters(in: .whitespacesAndNewlines)
                    keys.append(JWTVerifierConfig.Key(algorithm: algorithm, secret: secret, kid: key.kid))
                case .publicKeyFile(let path):
                    keys.append(JWTVerifierConfig.Key(algorithm: algorithm, publicKeyPEM: try Self.read(path, route: route), kid: key.kid))
                }
            }
            let verifierConfig = JWTVerifierConfig(
                keys: keys,
                audience: config.audiences,
                issuer: config.issuer,
                leeway: config.leeway,
                requiredClaims: []
            )
            do {
                self.kind = .jwt(try JWTVerifier(config: verifierConfig), config)
            } catch {
                throw LoadError(route: route, message: "\(error)")
            }
        case .forward(let config):
            self.kind = .forward(config)
        }
    }

    private static func read(_ path: String, route: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw LoadError(route: route, message: "cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// What authentication decided.
    enum Outcome: Sendable {
        /// Go on; add these request fields upstream (forwarded JWT claims, forward-auth headers).
        case allow([(String, String)])
        /// Answer with this status and these fields (e.g. 401 + `WWW-Authenticate`).
        case deny(status: Int, fields: [(String, String)])
        /// A forward-auth service's own answer, relayed to the client as it is.
        case relay(status: Int, fields: [(String, String)], body: ByteBuffer)
    }

    /// Decides, completing on `eventLoop`. Cheap cases (a cached Basic result, a missing
    /// header) complete at once; bcrypt runs on the blocking pool, JWT verification on a
    /// task, forward auth over a connection to the auth service.
    func authenticate(
        head: ParsedRequestHead,
        clientIP: String,
        eventLoop: any EventLoop,
        completion: @escaping @Sendable (Outcome) -> Void
    ) {
        let authorization = head.firstValue(ofField: "authorization").map {
            Substring(String(decoding: $0, as: UTF8.self))
        }
        switch self.kind {
        case .basic(let verifier, let realm):
            let challenge = [("WWW-Authenticate", WWWAuthenticate.basic(realm: realm, charsetUTF8: true))]
            guard let authorization else {
                completion(.deny(status: 401, fields: challenge))
                return
            }
            if let known = verifier.cachedResult(authorizationValue: authorization) {
                completion(known ? .allow([]) : .deny(status: 401, fields: challenge))
                return
            }
            NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) {
                verifier.verifyAndCache(authorizationValue: authorization)
            }.whenComplete { result in
                let valid = (try? result.get()) ?? false
                completion(valid ? .allow([]) : .deny(status: 401, fields: challenge))
            }
        case .jwt(let verifier, let config):
            let realm = "portico"
            guard let authorization else {
                completion(.deny(status: 401, fields: [("WWW-Authenticate", WWWAuthenticate.bearer(realm: realm))]))
                return
            }
            let promise = eventLoop.makePromise(of: JWTVerificationResult.self)
            promise.completeWithTask {
                await verifier.verify(authorizationValue: authorization, now: Date())
            }
            promise.futureResult.whenSuccess { result in
                switch result {
                case .valid(let claims):
                    var fields: [(String, String)] = []
                    for forward in config.forwardClaims {
                        if let value = claims[forward.claim], Self.isSafeFieldValue(value) {
                            fields.append((forward.header, value))
                        }
                    }
                    completion(.allow(fields))
                case .invalid(let reason):
                    completion(.deny(status: 401, fields: [("WWW-Authenticate", WWWAuthenticate.bearer(realm: realm, for: reason))]))
                }
            }
        case .forward(let config):
            ForwardAuthClient.check(config: config, head: head, clientIP: clientIP, eventLoop: eventLoop, completion: completion)
        }
    }

    /// `fields` plus an empty entry for each protected header not among them: the
    /// upstream request writer drops the client's fields of every name listed and writes
    /// no field for an empty value, so a client cannot supply a header (say `X-User-Id`)
    /// that authentication left unset (a token without the claim, an auth answer
    /// without the header).
    func withProtectedHeaders(_ fields: [(String, String)]) -> [(String, String)] {
        guard !self.protectedHeaders.isEmpty else { return fields }
        var result = fields
        for name in self.protectedHeaders where !fields.contains(where: { $0.0.lowercased() == name.lowercased() }) {
            result.append((name, ""))
        }
        return result
    }

    /// A claim value may go into a header only if it is a valid field value (RFC 9110
    /// §5.5): no CR, LF or NUL, which would let a token inject header lines.
    static func isSafeFieldValue(_ value: String) -> Bool {
        !value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 } && value.utf8.count <= 4096
    }
}
