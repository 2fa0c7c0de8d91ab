import Foundation
import NIOCore
import NIOPosix
import PorticoCore
import PorticoTesting
import Testing

@testable import PorticoProxy

/// Active health probes speak TLS to TLS servers, with the group's verification.
@Suite struct HealthProbeTLSTests {
    static func probe(port: Int, caPath: String) async throws -> ProbeResult {
        var group = UpstreamGroupConfig(name: "g", servers: [UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: port))])
        group.tls = UpstreamTLSConfig(caFile: caPath)
        let transport = try UpstreamTransport(group: group, logger: .init(label: "test"))
        let tls = HealthProbeTLS(context: try #require(transport.tlsContext), serverName: nil)
        return try await HealthProbe.run(
            config: HealthCheckConfig(path: "/healthz", timeout: .seconds(5)),
            address: try SocketAddress(ipAddress: "127.0.0.1", port: port),
            hostHeader: "127.0.0.1:\(port)", tls: tls,
            on: MultiThreadedEventLoopGroup.singleton.next()
        ).get()
    }

    @Test func probePassesOverVerifiedTLSAndFailsAgainstAnotherCA() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let authority = try TestCertificateAuthority()
        let stranger = try TestCertificateAuthority(commonName: "Stranger CA")
        let caPath = directory.appendingPathComponent("ca.pem").path
        let strangerPath = directory.appendingPathComponent("stranger.pem").path
        try authority.certificatePEM.write(toFile: caPath, atomically: true, encoding: .utf8)
        try stranger.certificatePEM.write(toFile: strangerPath, atomically: true, encoding: .utf8)
        let leaf = try authority.issue(ipAddresses: ["127.0.0.1"])
        let origin = try await TestOrigin.start(tls: try leaf.serverContext())
        let good = try await Self.probe(port: origin.port, caPath: caPath)
        #expect(good.passed, "\(good.reason)")
        let bad = try await Self.probe(port: origin.port, caPath: strangerPath)
        #expect(!bad.passed)
        #expect(bad.reason.contains("certificate verify failed"), "\(bad.reason)")
        try await origin.stop()
    }
}
