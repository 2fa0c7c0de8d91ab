import HummingbirdBcrypt

#if canImport(CBcrypt)
// HummingbirdBcrypt's public `Bcrypt.verify` ends in `memcmp`; calling the C core directly
// lets the final comparison be constant-time. The module is the product's own C target, so
// it is always built; the `#else` branch keeps the code compiling should SwiftPM ever stop
// exposing transitive C modules.
import CBcrypt
#endif

/// A password hash from an htpasswd file, in one of the accepted schemes.
enum PasswordHash: Sendable, Equatable {
    /// `$2a$`, `$2b$` or `$2y$` bcrypt. `normalized` is the same hash with the `$2b$` prefix.
    case bcrypt(original: String, normalized: String, cost: Int)
    /// `$5$` / `$6$` SHA-crypt.
    case shaCrypt(SHACrypt.StoredHash)

    /// Passwords longer than this are refused before hashing: SHA-crypt's cost grows with
    /// the square of the password length (digest DP hashes P |P| times), so an unbounded
    /// password would be a CPU amplification vector. bcrypt ignores bytes past 72 anyway.
    /// (libxcrypt uses the same limit.)
    static let maximumPasswordBytes = 512

    /// Why a hash field was refused; the message completes `user "x": ...`.
    enum Refusal: Error, Equatable {
        case weak(String)
        case malformed(String)

        var message: String {
            switch self {
            case .weak(let kind): return "\(kind) are not accepted; use bcrypt (htpasswd -B)"
            case .malformed(let detail): return detail
            }
        }
    }

    /// Classifies a hash field. Only bcrypt and SHA-crypt are accepted; everything an
    /// htpasswd file can otherwise hold (plain text, `{SHA}`, `$apr1$`, DES crypt, …) is
    /// refused with a message naming the scheme.
    static func parse(_ field: String) -> Result<PasswordHash, Refusal> {
        let bytes = Array(field.utf8)
        if bytes.isEmpty { return .failure(.malformed("empty password hash")) }

        if bytes.count >= 4, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"), bytes[3] == UInt8(ascii: "$") {
            return parseBcrypt(bytes, field)
        }
        if field.hasPrefix("$5$") || field.hasPrefix("$6$") {
            switch SHACrypt.parseStored(field) {
            case .success(let stored):
                return .success(.shaCrypt(stored))
            case .failure(.roundsOutOfRange(let rounds)):
                return .failure(.malformed(
                    "SHA-crypt rounds=\(rounds) is outside \(SHACrypt.minimumRounds)...\(SHACrypt.maximumRounds)"))
            case .failure(.malformed(let detail)):
                return .failure(.malformed("malformed SHA-crypt hash: \(detail)"))
            }
        }
        if field.hasPrefix("$apr1$") { return .failure(.weak("apr1 (MD5) hashes")) }
        if field.hasPrefix("$1$") { return .failure(.weak("MD5-crypt ($1$) hashes")) }
        if field.hasPrefix("{SHA}") { return .failure(.weak("{SHA} (unsalted SHA-1) hashes")) }
        if field.hasPrefix("{SSHA}") { return .failure(.weak("{SSHA} (salted SHA-1) hashes")) }
        if bytes.first == UInt8(ascii: "$"), let end = bytes.dropFirst().firstIndex(of: UInt8(ascii: "$")),
            end > 1, bytes[1..<end].allSatisfy(SHACrypt.isCryptAlphabet)
        {
            let identifier = String(decoding: bytes[1..<end], as: UTF8.self)
            return .failure(.malformed(
                "unsupported hash scheme \"$\(identifier)$\"; use bcrypt (htpasswd -B) or SHA-crypt (htpasswd -5)"))
        }
        if bytes.count == 13, bytes.allSatisfy(SHACrypt.isCryptAlphabet) {
            return .failure(.weak("DES crypt hashes"))
        }
        return .failure(.weak("plain-text passwords"))
    }

    private static func parseBcrypt(_ bytes: [UInt8], _ field: String) -> Result<PasswordHash, Refusal> {
        let minor = bytes[2]
        guard minor == UInt8(ascii: "a") || minor == UInt8(ascii: "b") || minor == UInt8(ascii: "y") else {
            let variant = String(decoding: bytes[0..<4], as: UTF8.self)
            return .failure(.malformed("unsupported bcrypt variant \"\(variant)\"; use bcrypt $2y$ (htpasswd -B)"))
        }
        // $2b$NN$ + 22 salt characters + 31 digest characters.
        guard bytes.count == 60, bytes[6] == UInt8(ascii: "$"),
            let tens = digit(bytes[4]), let units = digit(bytes[5]),
            bytes[7...].allSatisfy(SHACrypt.isCryptAlphabet)
        else {
            return .failure(.malformed("malformed bcrypt hash (expected $2y$NN$ and 53 characters)"))
        }
        let cost = tens * 10 + units
        guard (4...31).contains(cost) else {
            return .failure(.malformed("bcrypt cost \(cost) is outside 4...31"))
        }
        var normalized = bytes
        normalized[2] = UInt8(ascii: "b")
        return .success(.bcrypt(original: field, normalized: String(decoding: normalized, as: UTF8.self), cost: cost))
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (byte &- UInt8(ascii: "0")) < 10 ? Int(byte &- UInt8(ascii: "0")) : nil
    }

    /// Hashes `password` with this hash's parameters and compares in constant time.
    ///
    /// `$2a$`, `$2y$` and `$2b$` are computed as `$2b$`: for passwords shorter than 255 bytes
    /// the three are the same function (OpenBSD's `$2a$` differed only by wrapping the length
    /// of longer passwords; crypt_blowfish's `$2y$` is its corrected `$2a$`), and all truncate
    /// at 72 bytes. Passwords with a NUL byte (the C code would silently stop there) still
    /// cost a full hash and then fail.
    func verify(password: String) -> Bool {
        var acceptable = !password.utf8.contains(0)
        switch self {
        case .bcrypt(_, let normalized, _):
            acceptable = Self.bcryptMatches(password: password, normalizedHash: normalized) && acceptable
        case .shaCrypt(let stored):
            acceptable = SHACrypt.verify(password: password.utf8, stored: stored) && acceptable
        }
        return acceptable
    }

    private static func bcryptMatches(password: String, normalizedHash: String) -> Bool {
        #if canImport(CBcrypt)
        var computed = [CChar](repeating: 0, count: Int(BCRYPT_HASHSPACE) + 1)
        let status = computed.withUnsafeMutableBufferPointer { buffer in
            c_hb_bcrypt_hashpass(password, normalizedHash, buffer.baseAddress, Int(BCRYPT_HASHSPACE))
        }
        guard status == 0 else { return false }
        let computedBytes = computed.prefix(60).map { UInt8(bitPattern: $0) }
        return AuthBytes.constantTimeEquals(computedBytes, normalizedHash.utf8)
        #else
        return Bcrypt.verify(password, hash: normalizedHash)
        #endif
    }
}
