#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `portico run --takeover PATH`: the successor's side of a zero-downtime takeover (see
/// `TakeoverServer`). Typical use:
///
///     let predecessor = try await TakeoverClient.requestListeners(path: path)
///     server.adopt(predecessor.listeners)
///     try await server.start()            // accepting on the inherited sockets
///     try await predecessor.confirmReady() // the predecessor stops accepting and drains
public final class TakeoverClient: Sendable {
    /// The predecessor's listening sockets, now also open in this process.
    public let listeners: [InheritedListener]
    private let connection: NIOLockedValueBox<CInt?>

    private init(listeners: [InheritedListener], connection: CInt) {
        self.listeners = listeners
        self.connection = NIOLockedValueBox(connection)
    }

    /// Connects to the predecessor's control socket and receives its listening sockets.
    public static func requestListeners(path: String) async throws -> TakeoverClient {
        try await NIOThreadPool.singleton.runIfActive {
            let descriptor = socket(AF_UNIX, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
            do {
                let connected = try TakeoverWire.withUnixAddress(path) { connect(descriptor, $0, $1) }
                guard connected == 0 else { throw IOError(errnoCode: errno, reason: "connect \(path)") }
                TakeoverWire.setTimeouts(descriptor, seconds: 10)
                try TakeoverWire.send(descriptor, TakeoverProtocol.askListeners)
                let answer = try TakeoverWire.receive(descriptor)
                if answer.text.hasPrefix(TakeoverProtocol.error + " ") {
                    for received in answer.descriptors { close(received) }
                    throw TakeoverWire.ProtocolError(description: "the running process refused: \(answer.text.dropFirst(6))")
                }
                let listeners: [InheritedListener]
                do {
                    listeners = try TakeoverWire.decode(answer.text, descriptors: answer.descriptors)
                } catch {
                    for received in answer.descriptors { close(received) }
                    throw error
                }
                return TakeoverClient(listeners: listeners, connection: descriptor)
            } catch {
                close(descriptor)
                throw error
            }
        }
    }

    /// Tells the predecessor this process is accepting; it answers and starts draining.
    public func confirmReady() async throws {
        guard let descriptor = self.connection.withLockedValue({ current in
            defer { current = nil }
            return current
        }) else { return }
        try await NIOThreadPool.singleton.runIfActive {
            defer { close(descriptor) }
            try TakeoverWire.send(descriptor, TakeoverProtocol.ready)
            let answer = try TakeoverWire.receive(descriptor)
            for received in answer.descriptors { close(received) }
            guard answer.text == TakeoverProtocol.draining else {
                throw TakeoverWire.ProtocolError(description: "unexpected answer from the running process: \(answer.text)")
            }
        }
    }

    /// Gives up (this process failed to start): the predecessor keeps serving.
    public func abandon() {
        if let descriptor = self.connection.withLockedValue({ current in
            defer { current = nil }
            return current
        }) {
            close(descriptor)
        }
    }
}
