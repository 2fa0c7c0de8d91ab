import Logging
import NIOCore
import PorticoCore
import ServiceLifecycle
import UnixSignals

/// Runs a `ProxyServer` under swift-service-lifecycle: SIGTERM and SIGINT trigger a
/// graceful shutdown (stop accepting, finish in-flight requests within
/// `timeouts.shutdown_grace`, then exit 0); SIGHUP calls `reload` (re-read and apply the
/// configuration file, keeping every open connection); SIGUSR1 reopens the access-log
/// file (log rotation, as nginx).
public struct ProxyService: Service {
    public let server: ProxyServer
    private let onStart: @Sendable ([String]) -> Void
    private let reload: (@Sendable () -> Void)?

    /// - Parameters:
    ///   - onStart: called once every listener is bound, with the bound addresses.
    ///   - reload: called on each SIGHUP (nil: SIGHUP is not trapped).
    public init(
        server: ProxyServer,
        onStart: @escaping @Sendable ([String]) -> Void = { _ in },
        reload: (@Sendable () -> Void)? = nil
    ) {
        self.server = server
        self.reload = reload
        self.onStart = onStart
    }

    public func run() async throws {
        let addresses = try await self.server.start()
        self.onStart(addresses.map(Self.describe))
        let reload = self.reload
        let server = self.server
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // The signal stream ends (returns nil) when the task is cancelled.
                let signals: [UnixSignal] = reload == nil ? [.sigusr1] : [.sighup, .sigusr1]
                for await signal in await UnixSignalsSequence(trapping: signals) {
                    if signal == .sigusr1 {
                        server.reopenLogs()
                    } else {
                        reload?()
                    }
                }
            }
            group.addTask {
                // Wait for a shutdown signal; task cancellation also ends up here.
                try? await gracefulShutdown()
            }
            await group.next()
            group.cancelAll()
        }
        await self.server.shutdown()
    }

    /// `127.0.0.1:8080` or `[::1]:8080` (NIO's own description adds the family and host name).
    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// Runs `server` until SIGTERM/SIGINT.
    public static func runUntilSignalled(
        _ server: ProxyServer,
        logger: Logger,
        onStart: @escaping @Sendable ([String]) -> Void = { _ in },
        reload: (@Sendable () -> Void)? = nil
    ) async throws {
        let group = ServiceGroup(
            services: [ProxyService(server: server, onStart: onStart, reload: reload)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
    }
}
