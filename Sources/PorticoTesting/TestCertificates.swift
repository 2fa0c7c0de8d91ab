import Crypto
import Foundation
import SwiftASN1
import X509

/// A private certificate authority made in the test run, so TLS tests need no
/// committed key material and never hit an expiry date.
///
/// Issued leaf certificates carry their names as Subject Alternative Names (what
/// TLS clients check, RFC 6125 §6.4) and are ECDSA P-256, signed with SHA-256.
public struct TestCertificateAuthority: Sendable {
    public let certificate: Certificate
    let key: P256.Signing.PrivateKey

    public init(commonName: String = "Portico Test CA") throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName) }
        let now = Date()
        self.key = key
        self.certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
    }

    /// The CA certificate in PEM, for trust stores (`ca:` settings, test clients).
    public var certificatePEM: String {
        get throws { try self.certificate.serializeAsPEM().pemString }
    }

    /// Issues a leaf certificate for `dnsNames` (wildcards such as `*.example.test`
    /// allowed) and `ipAddresses`. `validFor` may be negative to make an expired one.
    public func issue(
        commonName: String? = nil,
        dnsNames: [String] = [],
        ipAddresses: [String] = [],
        clientAuth: Bool = false,
        notValidBefore: Date = Date().addingTimeInterval(-3600),
        validFor: TimeInterval = 10 * 365 * 86400
    ) throws -> TestCertificate {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            CommonName(commonName ?? dnsNames.first ?? ipAddresses.first ?? "portico-test")
        }
        var names: [GeneralName] = dnsNames.map { .dnsName($0) }
        for address in ipAddresses {
            names.append(.ipAddress(ASN1OctetStringBytes(address)))
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: notValidBefore,
            notValidAfter: notValidBefore.addingTimeInterval(validFor),
            issuer: self.certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([clientAuth ? .clientAuth : .serverAuth])
                if !names.isEmpty {
                    SubjectAlternativeNames(names)
                }
            },
            issuerPrivateKey: Certificate.PrivateKey(self.key)
        )
        return TestCertificate(
            certificate: certificate,
            certificatePEM: try certificate.serializeAsPEM().pemString,
            privateKeyPEM: key.pemRepresentation,
            issuerPEM: try self.certificatePEM
        )
    }
}

/// A leaf certificate and its key, in PEM.
public struct TestCertificate: Sendable {
    public let certificate: Certificate
    public let certificatePEM: String
    public let privateKeyPEM: String
    /// The issuing CA's certificate (for a full chain file: leaf, then issuer).
    public let issuerPEM: String

    /// Writes `<name>.crt` (the leaf followed by its issuer, a full chain) and
    /// `<name>.key` into `directory`; returns both paths.
    public func write(to directory: URL, name: String) throws -> (certificate: String, key: String) {
        let certificatePath = directory.appendingPathComponent("\(name).crt").path
        let keyPath = directory.appendingPathComponent("\(name).key").path
        try (self.certificatePEM + "\n" + self.issuerPEM + "\n").write(toFile: certificatePath, atomically: true, encoding: .utf8)
        try self.privateKeyPEM.write(toFile: keyPath, atomically: true, encoding: .utf8)
        return (certificatePath, keyPath)
    }
}

/// Four bytes of an IPv4 literal or sixteen of an IPv6 one, as a SAN `iPAddress`.
private func ASN1OctetStringBytes(_ address: String) -> ASN1OctetString {
    var v4 = in_addr()
    if inet_pton(AF_INET, address, &v4) == 1 {
        return ASN1OctetString(contentBytes: withUnsafeBytes(of: &v4) { ArraySlice($0) })
    }
    var v6 = in6_addr()
    precondition(inet_pton(AF_INET6, address, &v6) == 1, "not an IP address: \(address)")
    return ASN1OctetString(contentBytes: withUnsafeBytes(of: &v6) { ArraySlice($0) })
}

/// A fresh temporary directory for certificate files, removed by the caller.
public func makeTemporaryDirectory(prefix: String = "portico-tls") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
