import ServiceLifecycle

/// Runs an `AdminServer` under swift-service-lifecycle next to `ProxyService`: binds
/// on start, and on graceful shutdown (SIGTERM/SIGINT) closes the admin listener and
/// its connections.
public struct AdminService: Service {
    public let server: AdminServer
    private let onStart: @Sendable (String) -> Void

    /// - Parameter onStart: called with the bound address (`127.0.0.1:9901`).
    public init(server: AdminServer, onStart: @escaping @Sendable (String) -> Void = { _ in }) {
        self.server = server
        self.onStart = onStart
    }

    public func run() async throws {
        let address = try await self.server.start()
        self.onStart(ProxyService.describe(address))
        // Returns on graceful shutdown or cancellation.
        try? await gracefulShutdown()
        await self.server.shutdown()
    }
}
