import Foundation
import PorticoCore
import PorticoServer
import PorticoTesting
import Testing

/// Certificate rotation without a restart: a reload re-reads the files, new handshakes
/// get the new certificate, open connections keep theirs, a bad file changes nothing.
@Suite("Certificate reload", .timeLimit(.minutes(1)))
struct CertificateReloadTests {
    @Test func aReloadServesTheNewCertificateToNewConnectionsOnly() async throws {
        let files = try TLSTestFiles()
        defer { files.remove() }
        let origin = try await TestOrigin.start()
        let certificate = try files.server("site", names: ["site.test"], commonName: "first")
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.listeners = [tlsListener([certificate])]
        }
        defer { Task { await proxy.stop(); try? await origin.stop() } }
        let request = "GET / HTTP/1.1\r\nHost: site.test\r\n\r\n"

        let old = try await TLSTestClient.connect(port: proxy.port, options: .init(serverName: "site.test"))
        defer { Task { await old.close() } }
        #expect(old.peerCertificate?.subject.description == "CN=first")
        #expect(try await old.roundTrip(request).status == 200)

        // Same paths, new contents; the configuration itself is unchanged.
        _ = try files.server("site", names: ["site.test"], commonName: "second")
        try await proxy.server.reload(config: proxy.server.config)

        let new = try await TLSTestClient.connect(port: proxy.port, options: .init(serverName: "site.test"))
        defer { Task { await new.close() } }
        #expect(new.peerCertificate?.subject.description == "CN=second")
        #expect(try await new.roundTrip(request).status == 200)
        // The keep-alive connection opened before the reload goes on working.
        #expect(try await old.roundTrip(request).status == 200)

        // A broken file refuses the reload and keeps the certificate in force.
        try "not a certificate".write(toFile: certificate.certificatePath, atomically: true, encoding: .utf8)
        await #expect(throws: (any Error).self) { try await proxy.server.reload(config: proxy.server.config) }
        let after = try await TLSTestClient.connect(port: proxy.port, options: .init(serverName: "site.test"))
        defer { Task { await after.close() } }
        #expect(after.peerCertificate?.subject.description == "CN=second")
    }

    @Test func theWatcherReloadsWhenACertificateFileChanges() async throws {
        let files = try TLSTestFiles()
        defer { files.remove() }
        let origin = try await TestOrigin.start()
        let certificate = try files.server("site", names: ["site.test"], commonName: "first")
        let configPath = files.directory.appendingPathComponent("portico.yaml").path
        let yaml = """
            workers: 1
            access_log: off
            listeners:
              - address: "127.0.0.1:0"
                tls:
                  certificates: [{ cert: "\(certificate.certificatePath)", key: "\(certificate.keyPath)" }]
                  alpn: ["http/1.1"]
            upstreams: [{ name: origin, servers: ["127.0.0.1:\(origin.port)"] }]
            routes: [{ upstream: origin }]
            """
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try ConfigLoader.load(path: configPath)
        let server = try ProxyServer(config: config, logger: .init(label: "test"))
        try await server.start()
        let reloader = ConfigReloader.attach(to: server, path: configPath, logger: .init(label: "test"))
        #expect(reloader.watchedPaths == [configPath, certificate.certificatePath, certificate.keyPath])
        let watcher = Task { await ConfigFileWatcher(reloader: reloader, interval: .milliseconds(50)).run() }
        defer {
            watcher.cancel()
            Task { await server.shutdown(grace: .seconds(1)); try? await origin.stop() }
        }
        let port = server.listeningPorts[0]

        // The watcher takes its first look at the files when its task starts, which under
        // load may be after a single write: write again every half second until served.
        var attempts = 0
        let rotated = await eventually {
            if attempts % 25 == 0 {
                _ = try? files.server("site", names: ["site.test"], commonName: "second")
            }
            attempts += 1
            guard let client = try? await TLSTestClient.connect(port: port, options: .init(serverName: "site.test")) else { return false }
            defer { Task { await client.close() } }
            return client.peerCertificate?.subject.description == "CN=second"
        }
        #expect(rotated)
    }
}
