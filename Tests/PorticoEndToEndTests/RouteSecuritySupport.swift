import Crypto
import Foundation

/// A directory under the system temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        self.path = NSTemporaryDirectory() + "portico-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true)
    }

    /// Writes `contents` to `name` in the directory and returns the file's path.
    func write(_ name: String, _ contents: String) -> String {
        let file = self.path + "/" + name
        _ = FileManager.default.createFile(atPath: file, contents: Data(contents.utf8))
        return file
    }

    deinit {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}

/// Compact JWS tokens signed directly with swift-crypto (independently of jwt-kit).
enum TestJWT {
    static func base64url(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    /// `header.payload.signature` with HS256 over the UTF-8 bytes of `secret`.
    static func hs256(secret: String, claims: [String: Any]) -> String {
        let input = base64url(json(["alg": "HS256", "typ": "JWT"])) + "." + base64url(json(claims))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return input + "." + base64url(mac)
    }

    /// An `alg: none` token (RFC 7519 §6): must never be accepted.
    static func unsigned(claims: [String: Any]) -> String {
        base64url(json(["alg": "none", "typ": "JWT"])) + "." + base64url(json(claims)) + "."
    }
}
