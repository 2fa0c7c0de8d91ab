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
    }

    private let current: NIOLockedValueBox<Current>

    init(config: ListenerConfig, runtime: ListenerRuntime) {
        self.current = NIOLockedValueBox(Current(config: config, runtime: runtime))
    }

    var runtime: ListenerRuntime { self.current.withLockedValue { $0.runtime } }
    var config: ListenerConfig { self.current.withLockedValue { $0.config } }

    func update(config: ListenerConfig, runtime: ListenerRuntime) {
        self.current.withLockedValue { $0 = Current(config: config, runtime: runtime) }
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
