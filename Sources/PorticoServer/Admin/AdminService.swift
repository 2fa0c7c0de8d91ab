#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import ServiceLifecycle

/// Runs an `AdminServer` under swift-service-lifecycle next to `ProxyService`: binds
/// on start, and on graceful shutdown (SIGTERM/SIGINT) closes the admin listener and
/// its connections.
///
/// Put it *before* the `ProxyService` in the service group: services shut down in
/// reverse order, so the admin listener keeps answering (`/readyz` → 503, metrics)
/// while the proxy drains, and stops last.
public struct AdminService: Service {
    public let server: AdminServer
    private let onStart: @Sendable (String) -> Void
    private let whileRunning: (@Sendable () async -> Void)?
    private let waitForAddress: Duration
    private let logger: Logger?

    /// - Parameters:
    ///   - onStart: called with the bound address (`127.0.0.1:9901`).
    ///   - whileRunning: work to run as long as the listener is up (the stats sampler);
    ///     cancelled on shutdown.
    ///   - waitForAddress: keep retrying for this long while the address is in use. A
    ///     process taking over from another (`--takeover`) passes the predecessor's
    ///     drain time here: the predecessor keeps its admin listener until it exits.
    public init(
        server: AdminServer,
        onStart: @escaping @Sendable (String) -> Void = { _ in },
        whileRunning: (@Sendable () async -> Void)? = nil,
        waitForAddress: Duration = .zero,
        logger: Logger? = nil
    ) {
        self.server = server
        self.onStart = onStart
        self.whileRunning = whileRunning
        self.waitForAddress = waitForAddress
        self.logger = logger
    }

    public func run() async throws {
        let address = try await self.bind()
        self.onStart(ProxyService.describe(address))
        await withTaskGroup(of: Void.self) { group in
            if let whileRunning = self.whileRunning {
                group.addTask { await whileRunning() }
            }
            // Returns on graceful shutdown or cancellation.
            group.addTask { try? await gracefulShutdown() }
            await group.next()
            group.cancelAll()
        }
        await self.server.shutdown()
    }

    private func bind() async throws -> SocketAddress {
        let deadline = ContinuousClock.now + self.waitForAddress
        var warned = false
        while true {
            do {
                return try await self.server.start()
            } catch let error as IOError where error.errnoCode == EADDRINUSE && ContinuousClock.now < deadline {
                if !warned {
                    warned = true
                    self.logger?.notice("admin address in use (a previous process draining?); retrying")
                }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }
}
