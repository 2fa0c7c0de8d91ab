import NIOConcurrencyHelpers
import NIOCore
import PorticoCore
import PorticoProxy

/// The settings generation a listener hands to the connections it accepts. Read once per
/// accepted connection (in the child channel initializer), swapped by a reload; never
/// touched per request.
final class ListenerGeneration: Sendable {
    private struct Current {
        var config: ListenerConfig
        var runtime: ListenerRuntime
        /// TLS contexts of a TLS listener (rebuilt on every reload: certificate files
        /// may change while the configuration stays the same).
        var tls: ListenerTLSContexts?
    }

    private let current: NIOLockedValueBox<Current>

    init(config: ListenerConfig, runtime: ListenerRuntime, tls: ListenerTLSContexts? = nil) {
        self.current = NIOLockedValueBox(Current(config: config, runtime: runtime, tls: tls))
    }

    var runtime: ListenerRuntime { self.current.withLockedValue { $0.runtime } }
    var config: ListenerConfig { self.current.withLockedValue { $0.config } }
    var tls: ListenerTLSContexts? { self.current.withLockedValue { $0.tls } }
    /// Runtime and TLS contexts in one read (once per accepted connection).
    var connectionSettings: (runtime: ListenerRuntime, tls: ListenerTLSContexts?) {
        self.current.withLockedValue { ($0.runtime, $0.tls) }
    }

    func update(config: ListenerConfig, runtime: ListenerRuntime) {
        self.current.withLockedValue { $0 = Current(config: config, runtime: runtime, tls: $0.tls) }
    }

    func update(tls: ListenerTLSContexts?) {
        self.current.withLockedValue { $0.tls = tls }
    }
}

/// One listening socket of a running server: its NIO channel, its file descriptor (to
/// hand over to a successor process) and its swappable settings.
final class BoundListener: Sendable {
    let key: ListenerKey
    let channel: any Channel
    /// Owned by `channel` (closed when it closes); valid while the channel is open.
    let descriptor: CInt
    let address: SocketAddress
    let generation: ListenerGeneration

    init(key: ListenerKey, channel: any Channel, descriptor: CInt, address: SocketAddress, generation: ListenerGeneration) {
        self.key = key
        self.channel = channel
        self.descriptor = descriptor
        self.address = address
        self.generation = generation
    }
}
