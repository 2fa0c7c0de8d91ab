import Foundation
import PorticoCore
import PorticoTesting
import Testing

/// `ProxyServer.reload(config:)`: a good configuration takes effect for new requests on
/// open keep-alive connections; one that cannot be compiled is refused and the running
/// one stays.
@Suite(.timeLimit(.minutes(1))) struct ReloadTests {
    static func respond(_ body: String) -> RouteConfig {
        RouteConfig(name: "fixed", action: .respond(status: 200, body: body, contentType: "text/plain"))
    }

    @Test func reloadAppliesToOpenConnectionsAndABadConfigurationIsRefused() async throws {
        var config = PorticoConfig()
        let proxy = try await ProxyFixture.start(origins: []) { base in
            base.upstreams = []
            base.routes = [Self.respond("one")]
            config = base
        }
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/")).bodyString == "one")

        config.routes = [Self.respond("two")]
        try await proxy.server.reload(config: config)
        // Each worker swaps in the new generation on its own loop, right after the call;
        // the same keep-alive connection then gets the new answer and stays open.
        var afterGood = try await client.roundTrip(get("/"))
        for _ in 0..<50 where afterGood.bodyString != "two" && !afterGood.closesConnection {
            try await Task.sleep(for: .milliseconds(20))
            afterGood = try await client.roundTrip(get("/"))
        }
        #expect(afterGood.bodyString == "two")
        #expect(!afterGood.closesConnection)

        var broken = config
        broken.routes = [
            RouteConfig(
                name: "guarded", action: .respond(status: 200, body: "three", contentType: "text/plain"),
                auth: .basic(BasicAuthConfig(realm: "x", htpasswdPath: "/nonexistent/portico-users"))
            )
        ]
        await #expect(throws: (any Error).self) { try await proxy.server.reload(config: broken) }
        #expect(try await client.roundTrip(get("/")).bodyString == "two")
        await client.close()
        await proxy.stop()
    }

    /// Log rotation: after the file is moved away and the log reopened, new lines go to a
    /// new file at the configured path and the moved file keeps the old ones.
    @Test func accessLogReopensAtItsPath() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-rotate-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("access.log").path
        let rotated = path + ".1"
        let proxy = try await ProxyFixture.start(origins: []) { config in
            config.upstreams = []
            config.routes = [Self.respond("ok")]
            config.accessLog = AccessLogConfig(destination: .file(path), format: .text)
        }
        let client = try await proxy.connect()
        _ = try await client.roundTrip(get("/before"))
        func contents(_ file: String) -> String { (try? String(contentsOfFile: file, encoding: .utf8)) ?? "" }
        #expect(await eventually { contents(path).contains("/before") })
        try FileManager.default.moveItem(atPath: path, toPath: rotated)
        proxy.server.reopenLogs()
        #expect(await eventually { FileManager.default.fileExists(atPath: path) })
        _ = try await client.roundTrip(get("/after"))
        await client.close()
        await proxy.stop()
        #expect(contents(rotated).contains("/before"))
        #expect(!contents(rotated).contains("/after"))
        #expect(contents(path).contains("/after"))
        #expect(!contents(path).contains("/before"))
    }
}
