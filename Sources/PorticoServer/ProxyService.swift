import Logging
import NIOCore
import PorticoCore
import ServiceLifecycle
import UnixSignals

/// Runs a `ProxyServer` under swift-service-lifecycle: SIGTERM and SIGINT trigger a
/// graceful shutdown (stop accepting, finish in-flight requests within
/// `timeouts.shutdown_grace`, then exit 0); SIGHUP reloads the configuration file
/// through the server's attached `ConfigReloader` (keeping every open connection);
/// SIGUSR1 reopens the access-log file (log rotation, as nginx).
///
/// With `Handover` options it also takes part in zero-downtime takeovers: it confirms
/// to a predecessor once accepting, and answers successors on a control socket (a
/// successor taking over ends this service as SIGTERM would).
public struct ProxyService: Service {
    /// Zero-downtime takeover settings (docs/reload-and-upgrade.md).
    public struct Handover: Sendable {
        /// `--control-socket`: where successors ask for the listening sockets.
        public var controlSocketPath: String?
        /// `--takeover`: the predecessor whose listeners the server adopted
        /// (`ProxyServer.adopt(_:)`); told `ready` once the server accepts.
        public var predecessor: TakeoverClient?

        public init(controlSocketPath: String? = nil, predecessor: TakeoverClient? = nil) {
            self.controlSocketPath = controlSocketPath
            self.predecessor = predecessor
        }
    }

    public let server: ProxyServer
    private let onStart: @Sendable ([String]) -> Void
    private let handover: Handover
    private let logger: Logger

    /// - Parameters:
    ///   - onStart: called once every listener is bound, with the bound addresses.
    ///   - handover: takeover settings (none by default).
    public init(
        server: ProxyServer,
        logger: Logger,
        onStart: @escaping @Sendable ([String]) -> Void = { _ in },
        handover: Handover = Handover()
    ) {
        self.server = server
        self.onStart = onStart
        self.handover = handover
        self.logger = logger
    }

    public func run() async throws {
        let addresses: [SocketAddress]
        do {
            addresses = try await self.server.start()
        } catch {
            self.handover.predecessor?.abandon()
            throw error
        }
        self.onStart(addresses.map(Self.describe))
        if let predecessor = self.handover.predecessor {
            do {
                try await predecessor.confirmReady()
                self.logger.notice("took over from the previous process; it is draining")
            } catch {
                self.logger.warning("the previous process did not confirm the takeover", metadata: ["error": "\(error)"])
            }
        }
        let (handedOver, handedOverContinuation) = AsyncStream.makeStream(of: Void.self)
        var control: TakeoverServer?
        if let path = self.handover.controlSocketPath {
            do {
                control = try TakeoverServer.start(path: path, server: self.server, logger: self.logger) {
                    handedOverContinuation.yield()
                }
            } catch {
                self.logger.error("cannot open the control socket; takeover disabled", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
        let server = self.server
        let reloads = server.reloader != nil
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // The signal stream ends (returns nil) when the task is cancelled.
                let signals: [UnixSignal] = reloads ? [.sighup, .sigusr1] : [.sigusr1]
                for await signal in await UnixSignalsSequence(trapping: signals) {
                    if signal == .sigusr1 {
                        server.reopenLogs()
                    } else {
                        _ = await server.reload(trigger: .signal)
                    }
                }
            }
            group.addTask {
                // Wait for a shutdown signal; task cancellation also ends up here.
                try? await gracefulShutdown()
            }
            group.addTask {
                // A successor is accepting on our sockets: drain as on SIGTERM.
                for await _ in handedOver { return }
            }
            await group.next()
            group.cancelAll()
        }
        handedOverContinuation.finish()
        await control?.stop()
        await self.server.shutdown()
    }

    /// `127.0.0.1:8080` or `[::1]:8080` (NIO's own description adds the family and host name).
    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// Runs `server` (and its `companions`, such as the admin listener) until
    /// SIGTERM/SIGINT (or a successor takes over).
    public static func runUntilSignalled(
        _ server: ProxyServer,
        logger: Logger,
        handover: Handover = Handover(),
        companions: [any Service] = [],
        onStart: @escaping @Sendable ([String]) -> Void = { _ in }
    ) async throws {
        let service = ProxyService(server: server, logger: logger, onStart: onStart, handover: handover)
        // Companions (the admin listener) come first: services shut down in reverse
        // order, so they keep running while the proxy drains and stop after it.
        let companionConfigurations = companions.map {
            ServiceGroupConfiguration.ServiceConfiguration(service: $0, successTerminationBehavior: .gracefullyShutdownGroup)
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                // Returning without a signal (after a takeover) ends the process normally.
                services: companionConfigurations + [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
