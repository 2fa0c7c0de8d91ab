import Foundation
import Logging
import NIOCore
import PorticoCore
import PorticoServer
import PorticoTesting
import Testing

/// Hot reload (docs/reload-and-upgrade.md): no request fails and no kept connection
/// closes while configurations are swapped under load; a refused file changes nothing
/// and is recorded; listeners are bound and drained as the configuration says.
@Suite(.timeLimit(.minutes(2))) struct HotReloadTests {
    static func respond(_ body: String, name: String = "fixed", path: String? = nil) -> RouteConfig {
        var route = RouteConfig(name: name, action: .respond(status: 200, body: body, contentType: "text/plain"))
        if let path { route.match.pathPrefix = path }
        return route
    }

    /// Several clients on keep-alive connections, plus one idle keep-alive connection,
    /// while the configuration is reloaded several times (a route changes each time).
    @Test func reloadUnderContinuousLoadFailsNoRequest() async throws {
        let origin = try await TestOrigin.start { _ in .text("origin") }
        var base = PorticoConfig()
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.routes = [Self.respond("gen-0", name: "gen", path: "/gen"), RouteConfig(name: "default", action: .upstream("origin"))]
            base = config
        }
        let idle = try await proxy.connect()
        #expect(try await idle.roundTrip(get("/gen")).bodyString == "gen-0")

        let stop = Toggle()
        let generations = ClientLoadTally()
        let forwarded = ClientLoadTally()
        let load = Task {
            async let routes: Void = runClientLoad(port: proxy.port, clients: 3, path: "/gen", keepAlive: true, stop: stop, tally: generations)
            async let upstream: Void = runClientLoad(port: proxy.port, clients: 2, path: "/up", keepAlive: true, stop: stop, tally: forwarded)
            _ = await (routes, upstream)
        }
        let reloads = 6
        for generation in 1...reloads {
            try await Task.sleep(for: .milliseconds(300))
            var next = base
            next.routes[0] = Self.respond("gen-\(generation)", name: "gen", path: "/gen")
            try await proxy.server.reload(config: next)
        }
        try await Task.sleep(for: .milliseconds(300))
        stop.set(true)
        await load.value

        #expect(generations.failed == 0, "failures: \(generations.failures)")
        #expect(forwarded.failed == 0, "failures: \(forwarded.failures)")
        #expect(generations.succeeded > 0 && forwarded.succeeded > 0)
        #expect(generations.bodies.count > 1, "requests saw \(generations.bodies)")
        // The connection left idle across every reload is still open and sees the last route.
        let after = try await idle.roundTrip(get("/gen"))
        #expect(after.bodyString == "gen-\(reloads)")
        #expect(!after.closesConnection)
        #expect(proxy.server.config.routes[0] == Self.respond("gen-\(reloads)", name: "gen", path: "/gen"))
        await idle.close()
        await proxy.stop()
        try await origin.stop()
    }

    /// A file that does not parse is refused through `ConfigReloader`: the old routes keep
    /// serving and the failure is in `reloadLog` with its diagnostics; a good file then
    /// takes effect and is recorded too.
    @Test func failedReloadKeepsTheRunningConfiguration() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-reload-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("portico.yaml").path
        func write(_ body: String) throws {
            try """
            access_log: { output: off }
            listeners:
              - name: test
                address: "127.0.0.1:0"
            routes:
              - respond: { status: 200, body: "\(body)" }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try write("one")
        let config = try ConfigLoader.load(path: path)
        var logger = Logger(label: "portico-test")
        logger.logLevel = .critical
        let server = try ProxyServer(config: config, logger: logger)
        let reloader = ConfigReloader.attach(to: server, path: path, overrides: .init(workers: 1), logger: logger)
        let port = try await server.start()[0].port ?? 0
        let client = try await RawHTTPClient.connect(port: port)
        #expect(try await client.roundTrip(get("/")).bodyString == "one")

        try "listeners: [\n  - address: {".write(toFile: path, atomically: true, encoding: .utf8)
        let refused = await server.reload(trigger: .admin)
        #expect(!refused.succeeded)
        #expect(!refused.diagnostics.isEmpty)
        #expect(refused.trigger == .admin)
        #expect(server.reloadLog.failedCount == 1)
        #expect(server.reloadLog.recent.last == refused)
        #expect(try await client.roundTrip(get("/")).bodyString == "one")

        try write("two")
        let applied = await reloader.reload(trigger: .signal)
        #expect(applied.succeeded, "\(applied.message)")
        #expect(server.reloadLog.succeededCount == 1)
        #expect(server.config.workers == 1)
        // Each worker swaps the generation in on its own loop, just after the reload.
        #expect(await eventually { (try? await client.roundTrip(get("/")).bodyString) == "two" })
        await client.close()
        await server.shutdown(grace: .seconds(1))
    }

    /// Without a configuration file there is nothing to re-read: the reload fails and
    /// is recorded.
    @Test func reloadWithoutAFileFails() async throws {
        let proxy = try await ProxyFixture.start(origins: [])
        let event = await proxy.server.reload(trigger: .admin)
        #expect(!event.succeeded)
        #expect(event.message.contains("no configuration file"))
        #expect(proxy.server.reloadLog.failedCount == 1)
        await proxy.stop()
    }

    /// `--watch`: a changed file is reloaded without a signal.
    @Test func watcherReloadsAChangedFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portico-watch-\(UInt64.random(in: 0...UInt64.max)).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        func write(_ body: String) throws {
            try "access_log: { output: off }\nlisteners:\n  - name: w\n    address: \"127.0.0.1:0\"\nroutes:\n  - respond: { status: 200, body: \"\(body)\" }\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
        }
        try write("before")
        var logger = Logger(label: "portico-test")
        logger.logLevel = .critical
        let server = try ProxyServer(config: try ConfigLoader.load(path: path), logger: logger)
        let reloader = ConfigReloader.attach(to: server, path: path, logger: logger)
        let port = try await server.start()[0].port ?? 0
        let watcher = Task { await ConfigFileWatcher(reloader: reloader, interval: .milliseconds(50)).run() }
        try await Task.sleep(for: .milliseconds(200))
        try write("after")
        #expect(await eventually { (try? await HTTPTestClient.get(port: port).bodyString) == "after" })
        #expect(server.reloadLog.recent.last?.trigger == .file)
        watcher.cancel()
        await server.shutdown(grace: .seconds(1))
    }

    /// A listener added by a reload is bound; a removed one stops accepting and closes
    /// its idle connections, while the kept listener's idle connection stays open.
    @Test func listenersAreBoundAndDrainedByReload() async throws {
        var base = PorticoConfig()
        let proxy = try await ProxyFixture.start(origins: []) { config in
            config.upstreams = []
            config.routes = [Self.respond("ok")]
            base = config
        }
        let kept = try await proxy.connect()
        #expect(try await kept.roundTrip(get("/")).status == 200)

        var withExtra = base
        withExtra.listeners.append(ListenerConfig(name: "extra", address: HostPort(host: "127.0.0.1", port: 0)))
        try await proxy.server.reload(config: withExtra)
        #expect(proxy.server.listeningPorts.count == 2)
        let extraPort = proxy.server.listeningPorts[1]
        #expect(extraPort != proxy.port)
        let onExtra = try await RawHTTPClient.connect(port: extraPort)
        #expect(try await onExtra.roundTrip(get("/")).bodyString == "ok")

        try await proxy.server.reload(config: base)
        #expect(proxy.server.listeningPorts == [proxy.port])
        // The removed listener's idle keep-alive connection is closed...
        #expect(await onExtra.waitForClose(timeout: .seconds(10)))
        // ...and its port no longer accepts.
        await #expect(throws: (any Error).self) {
            let client = try await RawHTTPClient.connect(port: extraPort)
            _ = try await client.roundTrip(get("/"), timeout: .seconds(2))
        }
        // The kept listener's connection was not touched.
        let again = try await kept.roundTrip(get("/"))
        #expect(again.status == 200 && !again.closesConnection)
        await kept.close()
        await proxy.stop()
    }

    /// A removed listener lets a request in flight finish, answered with
    /// `Connection: close`.
    @Test func removedListenerFinishesInFlightRequests() async throws {
        // The answer is delayed on the origin's event loop timer (never by blocking the
        // loop: test origins share NIO's singleton group with every other test), long
        // enough for the reload below to happen while the request is in flight.
        let origin = try await TestOrigin.start { _ in .delayHead(.seconds(3), then: .text("slow")) }
        var base = PorticoConfig()
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            base = config
            config.listeners.append(ListenerConfig(name: "extra", address: HostPort(host: "127.0.0.1", port: 0)))
        }
        let extraPort = proxy.server.listeningPorts[1]
        let busy = try await RawHTTPClient.connect(port: extraPort)
        try await busy.send(get("/slow"))
        #expect(await eventually { origin.requests().count == 1 })
        try await proxy.server.reload(config: base)
        let response = try await busy.readResponse()
        #expect(response.bodyString == "slow")
        #expect(response.closesConnection)
        #expect(await busy.waitForClose())
        await proxy.stop()
        try await origin.stop()
    }

    /// A kept listener applies changed settings to new connections (here: an access
    /// list), while a connection accepted before the change keeps working.
    @Test func keptListenerAppliesNewSettingsToNewConnections() async throws {
        var base = PorticoConfig()
        let proxy = try await ProxyFixture.start(origins: []) { config in
            config.upstreams = []
            config.routes = [Self.respond("ok")]
            base = config
        }
        let before = try await proxy.connect()
        #expect(try await before.roundTrip(get("/")).status == 200)
        var restricted = base
        restricted.listeners[0].access = IPAccessConfig(deny: [ConfigCIDR.parse("127.0.0.0/8")!])
        try await proxy.server.reload(config: restricted)
        #expect(try await before.roundTrip(get("/")).status == 200)
        // Closed on accept (possibly before the client has even set up its pipeline).
        var refused = true
        if let after = try? await proxy.connect() {
            refused = await after.waitForClose()
        }
        #expect(refused)
        #expect(proxy.server.listenerRuntimes[0].refusedCounts.access == 1)
        await before.close()
        await proxy.stop()
    }

    /// A new listener that cannot be bound refuses the whole reload.
    @Test func bindFailureRefusesTheWholeReload() async throws {
        var base = PorticoConfig()
        let proxy = try await ProxyFixture.start(origins: []) { config in
            config.upstreams = []
            config.routes = [Self.respond("one")]
            base = config
        }
        let blocker = try await TestOrigin.start()
        var next = base
        next.routes = [Self.respond("two")]
        next.listeners.append(ListenerConfig(name: "taken", address: HostPort(host: "127.0.0.1", port: blocker.port)))
        await #expect(throws: (any Error).self) { try await proxy.server.reload(config: next) }
        #expect(proxy.server.listeningPorts == [proxy.port])
        #expect(try await HTTPTestClient.get(port: proxy.port).bodyString == "one")
        try await blocker.stop()
        await proxy.stop()
    }
}
