import Crypto

/// SHA-crypt (`$5$` SHA-256 and `$6$` SHA-512), as specified by Ulrich Drepper in
/// "Unix crypt using SHA-256 and SHA-512" (https://www.akkadia.org/drepper/SHA-crypt.txt),
/// built on swift-crypto's hash functions.
enum SHACrypt {
    enum Variant: Sendable {
        case sha256
        case sha512

        var prefix: String { self == .sha256 ? "$5$" : "$6$" }
        /// Length of the encoded digest: 32 bytes → 43 characters, 64 bytes → 86.
        var encodedLength: Int { self == .sha256 ? 43 : 86 }
    }

    static let defaultRounds = 5000
    static let minimumRounds = 1000
    static let maximumRounds = 999_999_999
    static let maximumSaltLength = 16

    /// A stored `$5$` / `$6$` hash, split into its parts.
    struct StoredHash: Sendable, Equatable {
        var variant: Variant
        var rounds: Int
        var salt: [UInt8]
        var encodedDigest: [UInt8]
    }

    enum StoredHashError: Error, Equatable {
        case malformed(String)
        case roundsOutOfRange(Int)
    }

    /// Parses a stored hash strictly: `$5$[rounds=N$]salt$digest` where N is canonical decimal
    /// in the spec's range, the salt has at most 16 characters and the digest has exactly the
    /// variant's length in the crypt alphabet. (The spec clamps out-of-range rounds and
    /// truncates long salts when *creating* a hash, so a stored hash outside those bounds
    /// could never verify; it is reported instead.)
    static func parseStored(_ hash: String) -> Result<StoredHash, StoredHashError> {
        let bytes = Array(hash.utf8)
        let variant: Variant
        if bytes.starts(with: "$5$".utf8) {
            variant = .sha256
        } else if bytes.starts(with: "$6$".utf8) {
            variant = .sha512
        } else {
            return .failure(.malformed("not a SHA-crypt hash"))
        }
        var rest = bytes[3...]
        var rounds = defaultRounds
        if rest.starts(with: "rounds=".utf8) {
            let digits = rest.dropFirst(7).prefix(while: { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
            guard !digits.isEmpty, digits.count <= 10, digits.first != UInt8(ascii: "0"),
                digits.endIndex < rest.endIndex, rest[digits.endIndex] == UInt8(ascii: "$")
            else {
                return .failure(.malformed("malformed rounds= field"))
            }
            let value = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard value >= minimumRounds, value <= maximumRounds else {
                return .failure(.roundsOutOfRange(value))
            }
            rounds = value
            rest = rest[(digits.endIndex + 1)...]
        }
        guard let dollar = rest.firstIndex(of: UInt8(ascii: "$")) else {
            return .failure(.malformed("missing digest"))
        }
        let salt = rest[..<dollar]
        guard salt.count <= maximumSaltLength else {
            return .failure(.malformed("salt longer than \(maximumSaltLength) characters"))
        }
        guard !salt.contains(where: { AuthBytes.isControl($0) || $0 == UInt8(ascii: ":") || $0 >= 0x80 }) else {
            return .failure(.malformed("invalid character in salt"))
        }
        let digest = rest[(dollar + 1)...]
        guard digest.count == variant.encodedLength, digest.allSatisfy(isCryptAlphabet) else {
            return .failure(.malformed("digest is not \(variant.encodedLength) characters of the crypt alphabet"))
        }
        return .success(StoredHash(variant: variant, rounds: rounds, salt: Array(salt), encodedDigest: Array(digest)))
    }

    /// True when `password` hashes to `stored`; the final comparison is constant-time.
    static func verify<P: Collection<UInt8>>(password: P, stored: StoredHash) -> Bool {
        let computed = encodedDigest(variant: stored.variant, password: Array(password), salt: stored.salt, rounds: stored.rounds)
        return AuthBytes.constantTimeEquals(computed, stored.encodedDigest)
    }

    /// `crypt(3)` for `$5$` / `$6$` settings, following the reference implementation exactly:
    /// `rounds=` is clamped to 1000...999999999 (and then always printed), the salt stops at
    /// the first `$` and is truncated to 16 characters. Returns nil for other settings.
    static func crypt<P: Collection<UInt8>>(password: P, setting: String) -> String? {
        let bytes = Array(setting.utf8)
        let variant: Variant
        if bytes.starts(with: "$5$".utf8) {
            variant = .sha256
        } else if bytes.starts(with: "$6$".utf8) {
            variant = .sha512
        } else {
            return nil
        }
        var rest = bytes[3...]
        var rounds = defaultRounds
        var customRounds = false
        if rest.starts(with: "rounds=".utf8) {
            let digits = rest.dropFirst(7).prefix(while: { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
            if !digits.isEmpty, digits.endIndex < rest.endIndex, rest[digits.endIndex] == UInt8(ascii: "$") {
                // strtoul saturates; anything longer than 10 digits is above the maximum anyway.
                let value = digits.count > 10 ? Int.max : digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
                rounds = min(max(value, minimumRounds), maximumRounds)
                customRounds = true
                rest = rest[(digits.endIndex + 1)...]
            }
        }
        let salt = Array(rest.prefix(while: { $0 != UInt8(ascii: "$") }).prefix(maximumSaltLength))
        let digest = encodedDigest(variant: variant, password: Array(password), salt: salt, rounds: rounds)
        var output = variant.prefix
        if customRounds { output += "rounds=\(rounds)$" }
        output += String(decoding: salt, as: UTF8.self)
        output += "$"
        output += String(decoding: digest, as: UTF8.self)
        return output
    }

    static func encodedDigest(variant: Variant, password: [UInt8], salt: [UInt8], rounds: Int) -> [UInt8] {
        switch variant {
        case .sha256:
            return encode(rawDigest(SHA256.self, password: password, salt: salt, rounds: rounds), order: sha256Order, tail: .sha256)
        case .sha512:
            return encode(rawDigest(SHA512.self, password: password, salt: salt, rounds: rounds), order: sha512Order, tail: .sha512)
        }
    }

    /// Steps 1–21 of the specification: the final digest ("C") before encoding.
    static func rawDigest<H: HashFunction>(_: H.Type, password p: [UInt8], salt s: [UInt8], rounds: Int) -> [UInt8] {
        let n = H.Digest.byteCount

        // Digest B = H(P || S || P).
        var context = H()
        context.update(data: p)
        context.update(data: s)
        context.update(data: p)
        let b = Array(context.finalize())

        // Digest A = H(P || S || B repeated to |P| bytes || for each bit of |P|: B or P).
        context = H()
        context.update(data: p)
        context.update(data: s)
        var count = p.count
        while count > n {
            context.update(data: b)
            count -= n
        }
        context.update(data: b[0..<count])
        count = p.count
        while count > 0 {
            if count & 1 != 0 { context.update(data: b) } else { context.update(data: p) }
            count >>= 1
        }
        var a = Array(context.finalize())

        // Digest DP = H(P repeated |P| times); the P sequence is DP repeated to |P| bytes.
        context = H()
        for _ in 0..<p.count { context.update(data: p) }
        let dp = Array(context.finalize())
        var pSequence: [UInt8] = []
        pSequence.reserveCapacity(p.count)
        count = p.count
        while count >= n {
            pSequence.append(contentsOf: dp)
            count -= n
        }
        pSequence.append(contentsOf: dp[0..<count])

        // Digest DS = H(S repeated 16 + A[0] times); the S sequence is DS repeated to |S| bytes.
        context = H()
        for _ in 0..<(16 + Int(a[0])) { context.update(data: s) }
        let ds = Array(context.finalize())
        var sSequence: [UInt8] = []
        sSequence.reserveCapacity(s.count)
        count = s.count
        while count >= n {
            sSequence.append(contentsOf: ds)
            count -= n
        }
        sSequence.append(contentsOf: ds[0..<count])

        // The rounds.
        for round in 0..<rounds {
            context = H()
            if round & 1 != 0 { context.update(data: pSequence) } else { context.update(data: a) }
            if round % 3 != 0 { context.update(data: sSequence) }
            if round % 7 != 0 { context.update(data: pSequence) }
            if round & 1 != 0 { context.update(data: a) } else { context.update(data: pSequence) }
            let digest = context.finalize()
            a.withUnsafeMutableBytes { destination in
                digest.withUnsafeBytes { source in destination.copyMemory(from: source) }
            }
        }
        return a
    }

    // MARK: Encoding (spec step 22)

    private static let alphabet = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    static func isCryptAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
            return true
        default:
            return false
        }
    }

    /// Byte triples (B2, B1, B0) of the reference implementation's `b64_from_24bit` calls.
    private static let sha256Order: [(Int, Int, Int)] = [
        (0, 10, 20), (21, 1, 11), (12, 22, 2), (3, 13, 23), (24, 4, 14),
        (15, 25, 5), (6, 16, 26), (27, 7, 17), (18, 28, 8), (9, 19, 29),
    ]
    private static let sha512Order: [(Int, Int, Int)] = [
        (0, 21, 42), (22, 43, 1), (44, 2, 23), (3, 24, 45), (25, 46, 4),
        (47, 5, 26), (6, 27, 48), (28, 49, 7), (50, 8, 29), (9, 30, 51),
        (31, 52, 10), (53, 11, 32), (12, 33, 54), (34, 55, 13), (56, 14, 35),
        (15, 36, 57), (37, 58, 16), (59, 17, 38), (18, 39, 60), (40, 61, 19),
        (62, 20, 41),
    ]

    private static func encode(_ digest: [UInt8], order: [(Int, Int, Int)], tail: Variant) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(tail.encodedLength)
        func append(_ b2: UInt8, _ b1: UInt8, _ b0: UInt8, _ characters: Int) {
            var word = UInt32(b2) << 16 | UInt32(b1) << 8 | UInt32(b0)
            for _ in 0..<characters {
                output.append(alphabet[Int(word & 0x3F)])
                word >>= 6
            }
        }
        for (i, j, k) in order { append(digest[i], digest[j], digest[k], 4) }
        switch tail {
        case .sha256: append(0, digest[31], digest[30], 3)
        case .sha512: append(0, 0, digest[63], 2)
        }
        return output
    }
}
