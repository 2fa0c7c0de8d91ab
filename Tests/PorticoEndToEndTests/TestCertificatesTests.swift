import Foundation
import NIOSSL
import PorticoTesting
import Testing
import X509

/// The test CA's output is what NIOSSL (BoringSSL) and X509 accept: a full chain
/// file that parses, a key that matches, and the names as SANs.
@Suite struct TestCertificatesTests {
    @Test func issuedLeafLoadsIntoNIOSSLAndCarriesItsNames() throws {
        let authority = try TestCertificateAuthority()
        let leaf = try authority.issue(dnsNames: ["a.example.test", "*.wild.example.test"], ipAddresses: ["127.0.0.1"])
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let paths = try leaf.write(to: directory, name: "leaf")

        let chain = try NIOSSLCertificate.fromPEMFile(paths.certificate)
        #expect(chain.count == 2)
        _ = try NIOSSLPrivateKey(file: paths.key, format: .pem)

        let names = try #require(try leaf.certificate.extensions.subjectAlternativeNames)
        #expect(names.contains(.dnsName("*.wild.example.test")))
        #expect(leaf.certificate.issuer == authority.certificate.subject)
    }
}
