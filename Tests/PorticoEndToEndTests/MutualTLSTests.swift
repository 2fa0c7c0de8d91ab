import PorticoCore
import PorticoServer
import PorticoTesting
import Testing

/// `client_auth`: client certificates verified against a CA, and the verified subject
/// passed upstream in `subject_header`.
@Suite("Mutual TLS", .timeLimit(.minutes(1)))
struct MutualTLSTests {
    static let request = "GET /whoami HTTP/1.1\r\nHost: site.test\r\nX-Client-Subject: CN=forged\r\n\r\n"

    @Test func requireModeAdmitsOnlyCertificatesOfTheConfiguredCA() async throws {
        let files = try TLSTestFiles()
        defer { files.remove() }
        let origin = try await TestOrigin.start()
        let certificate = try files.server("site", names: ["site.test"])
        let ca = try files.authorityFile()
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.listeners = [
                tlsListener([certificate]) {
                    $0.clientAuth = ListenerTLSConfig.ClientAuth(mode: .require, caPath: ca, subjectHeader: "X-Client-Subject")
                },
            ]
        }
        defer { Task { await proxy.stop(); try? await origin.stop() } }

        // No certificate: refused (TLS 1.2 and 1.3 alike).
        #expect(await tlsRefuses(port: proxy.port, options: .init(serverName: "site.test")))
        #expect(await tlsRefuses(port: proxy.port, options: .init(serverName: "site.test", maximumVersion: .tlsv12)))
        // A certificate from another CA: refused.
        let stranger = try TestCertificateAuthority(commonName: "Other CA").issue(commonName: "mallory", clientAuth: true)
        #expect(await tlsRefuses(port: proxy.port, options: .init(serverName: "site.test", certificate: stranger)))
        #expect(origin.requestCount == 0)

        // A certificate from the right CA: served, and the origin sees its subject (the
        // client's own header of that name is replaced).
        let client = try files.authority.issue(commonName: "client-1", clientAuth: true)
        let connection = try await TLSTestClient.connect(port: proxy.port, options: .init(serverName: "site.test", certificate: client))
        defer { Task { await connection.close() } }
        let response = try await connection.roundTrip(Self.request)
        #expect(response.status == 200)
        let seen = try #require(origin.requests().last)
        #expect(seen.headers.values(named: "X-Client-Subject") == ["CN=client-1"])
    }

    @Test func requestModeAdmitsClientsWithoutACertificate() async throws {
        let files = try TLSTestFiles()
        defer { files.remove() }
        let origin = try await TestOrigin.start()
        let certificate = try files.server("site", names: ["site.test"])
        let ca = try files.authorityFile()
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.listeners = [
                tlsListener([certificate]) {
                    $0.clientAuth = ListenerTLSConfig.ClientAuth(mode: .request, caPath: ca, subjectHeader: "X-Client-Subject")
                },
            ]
        }
        defer { Task { await proxy.stop(); try? await origin.stop() } }

        let anonymous = try await TLSTestClient.connect(port: proxy.port, options: .init(serverName: "site.test"))
        #expect(try await anonymous.roundTrip(Self.request).status == 200)
        await anonymous.close()
        #expect(origin.requests().last?.header("X-Client-Subject") == nil)

        let client = try files.authority.issue(commonName: "client-2", clientAuth: true)
        let identified = try await TLSTestClient.connect(port: proxy.port, options: .init(serverName: "site.test", certificate: client))
        #expect(try await identified.roundTrip(Self.request).status == 200)
        await identified.close()
        #expect(origin.requests().last?.header("X-Client-Subject") == "CN=client-2")

        // A presented certificate must still verify.
        let stranger = try TestCertificateAuthority(commonName: "Other CA").issue(commonName: "mallory", clientAuth: true)
        #expect(await tlsRefuses(port: proxy.port, options: .init(serverName: "site.test", certificate: stranger)))
    }
}
