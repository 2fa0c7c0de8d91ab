import PorticoCore
import PorticoTesting
import Testing

/// Portico → origin over TLS (`https://` servers, `tls:`): verification against a
/// private CA, connection reuse, failures as 502 with one clear log line, client
/// certificates. Real TLS on loopback.
@Suite(.timeLimit(.minutes(1))) struct UpstreamTLSTests {
    static func group(port: Int, tls: UpstreamTLSConfig?, httpsScheme: Bool = true) -> UpstreamGroupConfig {
        var group = UpstreamGroupConfig(
            name: "origin",
            servers: [UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: port), tls: httpsScheme)]
        )
        group.tls = tls
        group.retries.maxAttempts = 1
        return group
    }

    @Test func httpsUpstreamWithPrivateCAIsVerifiedAndReused() async throws {
        let material = try UpstreamTLSMaterial()
        defer { material.remove() }
        let origin = try await TestOrigin.start(tls: try material.serverContext())
        let proxy = try await startProxy(group: Self.group(port: origin.port, tls: UpstreamTLSConfig(caFile: material.caPath)))
        let client = try await proxy.connect()
        for index in 0..<3 {
            let response = try await client.roundTrip(get("/tls/\(index)"))
            #expect(response.status == 200, "\(response)")
        }
        // One client connection stays on one worker, whose pool reuses the TLS connection.
        #expect(origin.connectionCount == 1)
        #expect(origin.requests().map(\.uri) == ["/tls/0", "/tls/1", "/tls/2"])
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func serverNameIsVerifiedAgainstDNSNames() async throws {
        let material = try UpstreamTLSMaterial()
        defer { material.remove() }
        let origin = try await TestOrigin.start(tls: try material.serverContext(dnsOnly: true))
        let tls = UpstreamTLSConfig(caFile: material.caPath, serverName: "origin.test")
        let proxy = try await startProxy(group: Self.group(port: origin.port, tls: tls, httpsScheme: false))
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/")).status == 200)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func certificateFromAnotherCAIs502WithAClearLogLine() async throws {
        let material = try UpstreamTLSMaterial()
        let other = try UpstreamTLSMaterial()  // its CA is the one Portico trusts
        defer {
            material.remove()
            other.remove()
        }
        let origin = try await TestOrigin.start(tls: try material.serverContext())
        let logs = CapturedLogs()
        let proxy = try await startProxy(group: Self.group(port: origin.port, tls: UpstreamTLSConfig(caFile: other.caPath)), logs: logs)
        let client = try await proxy.connect()
        let response = try await client.roundTrip(get("/"))
        #expect(response.status == 502, "\(response)")
        #expect(origin.requestCount == 0)
        let line = logs.all.first { $0.contains("upstream TLS handshake failed") }
        #expect(line?.contains("server=127.0.0.1:\(origin.port)") == true, "\(logs.all)")
        #expect(line?.contains("certificate verify failed") == true, "\(logs.all)")
        #expect(line?.contains("verify_name=127.0.0.1 (IP address)") == true, "\(logs.all)")
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func wrongServerNameIs502() async throws {
        let material = try UpstreamTLSMaterial()
        defer { material.remove() }
        let origin = try await TestOrigin.start(tls: try material.serverContext(dnsOnly: true))
        let logs = CapturedLogs()
        let tls = UpstreamTLSConfig(caFile: material.caPath, serverName: "wrong.test")
        let proxy = try await startProxy(group: Self.group(port: origin.port, tls: tls), logs: logs)
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/")).status == 502)
        #expect(logs.all.contains { $0.contains("upstream TLS handshake failed") && $0.contains("verify_name=wrong.test") }, "\(logs.all)")
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func verifyFalseAcceptsAnyCertificate() async throws {
        let material = try UpstreamTLSMaterial()
        defer { material.remove() }
        let origin = try await TestOrigin.start(tls: try material.serverContext())
        let logs = CapturedLogs()
        let proxy = try await startProxy(group: Self.group(port: origin.port, tls: UpstreamTLSConfig(verify: false)), logs: logs)
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/")).status == 200)
        #expect(logs.all.contains { $0.contains("verification is off") })
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func clientCertificateIsPresentedWhenTheOriginRequiresOne() async throws {
        let material = try UpstreamTLSMaterial()
        defer { material.remove() }
        let origin = try await TestOrigin.start(tls: try material.serverContext(requireClientCertificate: true))
        let files = try material.clientCertificateFiles()
        let withCertificate = UpstreamTLSConfig(
            caFile: material.caPath,
            clientCertificate: UpstreamClientCertificateConfig(certificateFile: files.certificate, keyFile: files.key)
        )
        let proxy = try await startProxy(group: Self.group(port: origin.port, tls: withCertificate))
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/mtls")).status == 200)
        await client.close()
        await proxy.stop()

        // Without one the origin refuses the handshake.
        let without = try await startProxy(group: Self.group(port: origin.port, tls: UpstreamTLSConfig(caFile: material.caPath)))
        let second = try await without.connect()
        #expect(try await second.roundTrip(get("/mtls")).status == 502)
        await second.close()
        await without.stop()
        try await origin.stop()
    }

    @Test func plainOriginBehindHTTPSFailsFastAsAConnectFailure() async throws {
        let origin = try await TestOrigin.start()  // speaks plain HTTP
        let proxy = try await startProxy(group: Self.group(port: origin.port, tls: UpstreamTLSConfig(verify: false)))
        let client = try await proxy.connect()
        let response = try await client.roundTrip(get("/"))
        #expect(response.status == 502, "\(response)")
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }
}
