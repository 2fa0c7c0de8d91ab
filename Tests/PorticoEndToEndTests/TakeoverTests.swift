import Foundation
import Logging
import NIOCore
import PorticoCore
@testable import PorticoServer
import PorticoTesting
import Testing

/// Zero-downtime takeover (docs/reload-and-upgrade.md): a second server receives the
/// first one's listening sockets over a Unix control socket and accepts on them; the
/// first drains. Two in-process servers stand in for the old and the new process.
@Suite(.timeLimit(.minutes(2))) struct TakeoverTests {
    static func respond(_ body: String) -> RouteConfig {
        RouteConfig(name: "fixed", action: .respond(status: 200, body: body, contentType: "text/plain"))
    }

    static func socketPath() -> String {
        "/tmp/portico-takeover-\(UInt32.random(in: 0...UInt32.max)).sock"
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "portico-test")
        logger.logLevel = .critical
        return logger
    }

    /// Under continuous load (a new connection per request), B takes over A's listener
    /// and A drains and stops: no request fails, both answered some, and connections
    /// made after A is gone are B's.
    @Test func successorTakesOverUnderLoadWithoutFailures() async throws {
        let old = try await ProxyFixture.start(origins: []) { config in
            config.upstreams = []
            config.routes = [Self.respond("old")]
        }
        let path = Self.socketPath()
        let handedOver = Toggle()
        let control = try TakeoverServer.start(path: path, server: old.server, logger: Self.quietLogger) {
            handedOver.set(true)
        }

        let stop = Toggle()
        let tally = ClientLoadTally()
        let load = Task { await runClientLoad(port: old.port, clients: 4, path: "/", keepAlive: false, stop: stop, tally: tally) }
        #expect(await eventually { tally.succeeded > 20 })

        var next = old.server.config
        next.routes = [Self.respond("new")]
        let successor = try ProxyServer(config: next, logger: Self.quietLogger)
        let predecessor = try await TakeoverClient.requestListeners(path: path)
        #expect(predecessor.listeners.count == 1)
        successor.adopt(predecessor.listeners)
        let addresses = try await successor.start()
        #expect(addresses.map(\.port) == [old.port])
        try await predecessor.confirmReady()
        #expect(await eventually { handedOver.isOn })
        #expect(control.hasHandedOver)
        // What `portico run` does on handover: drain as on SIGTERM.
        await old.server.shutdown(grace: .seconds(5))
        let servedBefore = tally.succeeded
        #expect(await eventually { tally.succeeded > servedBefore + 20 })
        stop.set(true)
        await load.value
        await control.stop()

        #expect(tally.failed == 0, "failures: \(tally.failures)")
        #expect(tally.bodies == ["old", "new"])
        for _ in 0..<5 {
            #expect(try await HTTPTestClient.get(port: old.port).bodyString == "new")
        }
        await successor.shutdown(grace: .seconds(1))
    }

    /// NIO's close of a server channel only closes that process's descriptor (no
    /// `shutdown()`), so the socket stays listening for the other holder and keeps the
    /// connections queued on it: connections made while only the shut-down server's
    /// loop could have accepted them are still served by the successor.
    @Test func closingThePredecessorsChannelLeavesTheSharedSocketListening() async throws {
        let old = try await ProxyFixture.start(origins: []) { config in
            config.upstreams = []
            config.routes = [Self.respond("old")]
        }
        let path = Self.socketPath()
        let control = try TakeoverServer.start(path: path, server: old.server, logger: Self.quietLogger) {}
        var next = old.server.config
        next.routes = [Self.respond("new")]
        let predecessor = try await TakeoverClient.requestListeners(path: path)
        let successor = try ProxyServer(config: next, logger: Self.quietLogger)
        successor.adopt(predecessor.listeners)
        try await successor.start()
        try await predecessor.confirmReady()
        await old.server.shutdown(grace: .seconds(1))
        await control.stop()
        #expect(!FileManager.default.fileExists(atPath: path))
        // Many connections at once, more than one accept wakeup takes.
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<40 {
                group.addTask { try await HTTPTestClient.get(port: old.port).bodyString }
            }
            for try await body in group {
                #expect(body == "new")
            }
        }
        await successor.shutdown(grace: .seconds(1))
    }

    /// The successor binds listeners the predecessor did not have and closes inherited
    /// ones it does not configure; a successor that gives up changes nothing.
    @Test func successorReconcilesListenersAndAnAbandonedTakeoverChangesNothing() async throws {
        let old = try await ProxyFixture.start(origins: []) { config in
            config.upstreams = []
            config.routes = [Self.respond("old")]
            config.listeners.append(ListenerConfig(name: "second", address: HostPort(host: "127.0.0.1", port: 0)))
        }
        let path = Self.socketPath()
        let control = try TakeoverServer.start(path: path, server: old.server, logger: Self.quietLogger) {}

        let abandoned = try await TakeoverClient.requestListeners(path: path)
        #expect(abandoned.listeners.count == 2)
        for listener in abandoned.listeners { close(listener.descriptor) }
        abandoned.abandon()
        #expect(try await HTTPTestClient.get(port: old.port).bodyString == "old")
        #expect(!control.hasHandedOver)

        var next = old.server.config
        next.listeners = [next.listeners[0], ListenerConfig(name: "third", address: HostPort(host: "127.0.0.1", port: 0))]
        next.routes = [Self.respond("new")]
        let predecessor = try await TakeoverClient.requestListeners(path: path)
        let successor = try ProxyServer(config: next, logger: Self.quietLogger)
        successor.adopt(predecessor.listeners)
        let ports = try await successor.start().compactMap(\.port)
        #expect(ports[0] == old.port)
        #expect(ports[1] != old.server.listeningPorts[1])
        try await predecessor.confirmReady()
        await old.server.shutdown(grace: .seconds(1))
        await control.stop()
        #expect(try await HTTPTestClient.get(port: ports[0]).bodyString == "new")
        #expect(try await HTTPTestClient.get(port: ports[1]).bodyString == "new")
        await successor.shutdown(grace: .seconds(1))
    }

    @Test func listenerListsSurviveTheWire() throws {
        let listeners = [
            InheritedListener(key: ListenerKey(text: "127.0.0.1:0#a\tb%09\nc"), address: "127.0.0.1:8080", descriptor: 7),
            InheritedListener(key: ListenerKey(text: "[::1]:443"), address: "[::1]:443", descriptor: 9),
        ]
        let text = TakeoverWire.encode(listeners)
        #expect(try TakeoverWire.decode(text, descriptors: [7, 9]) == listeners)
        #expect(throws: (any Error).self) { try TakeoverWire.decode(text, descriptors: [7]) }
    }

    @Test func listenerPlanMatchesByAddress() {
        let a = ListenerConfig(name: "a", address: HostPort(host: "127.0.0.1", port: 8080))
        var aRenamed = a
        aRenamed.name = "renamed"
        aRenamed.proxyProtocol = true
        let b = ListenerConfig(name: "b", address: HostPort(host: "127.0.0.1", port: 8081))
        let c = ListenerConfig(name: "c", address: HostPort(host: "127.0.0.1", port: 0))
        let plan = ListenerPlan(current: [ListenerKey(a), ListenerKey(b)], next: [aRenamed, c])
        #expect(plan.kept == [aRenamed])
        #expect(plan.added == [c])
        #expect(plan.removed == [ListenerKey(b)])
        // Port 0 listeners are told apart by name.
        var d = c
        d.name = "d"
        #expect(ListenerKey(c) != ListenerKey(d))
    }
}
