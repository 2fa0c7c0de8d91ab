#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Listening sockets created by Portico itself rather than by NIO's `bind`, so the
/// process knows each one's file descriptor and can hand it to a successor
/// (`TakeoverServer`). NIO then adopts the descriptor with
/// `ServerBootstrap.withBoundSocket`.
enum ListeningSocket {
    /// The accept queue length Portico asks for (the kernel caps it at `somaxconn`).
    static let backlog: CInt = 1024

    /// Creates a TCP socket bound to `host:port` and listening. `SO_REUSEADDR` lets a
    /// restarted Portico bind while old connections sit in TIME_WAIT.
    static func bind(host: String, port: Int) throws -> CInt {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let family: CInt
        switch address {
        case .v4: family = AF_INET
        case .v6: family = AF_INET6
        default: throw IOError(errnoCode: EAFNOSUPPORT, reason: "socket")
        }
        let descriptor = socket(family, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        do {
            var one: CInt = 1
            guard setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size)) == 0 else {
                throw IOError(errnoCode: errno, reason: "setsockopt")
            }
            let bound = address.withSockAddr { pointer, length in
                Glibc.bind(descriptor, pointer, socklen_t(length))
            }
            guard bound == 0 else { throw IOError(errnoCode: errno, reason: "bind") }
            guard listen(descriptor, Self.backlog) == 0 else { throw IOError(errnoCode: errno, reason: "listen") }
        } catch {
            close(descriptor)
            throw error
        }
        return descriptor
    }

    /// Sets the accept queue length again. `withBoundSocket` calls `listen` with NIO's
    /// default backlog (128), which on a socket already listening shrinks its queue;
    /// this restores Portico's (it does not disturb connections already queued).
    static func restoreBacklog(_ descriptor: CInt) {
        _ = listen(descriptor, Self.backlog)
    }

    /// Whether `descriptor` is a listening TCP socket (checked on descriptors received
    /// from a predecessor before adopting them).
    static func isListening(_ descriptor: CInt) -> Bool {
        var value: CInt = 0
        var length = socklen_t(MemoryLayout<CInt>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) == 0 else { return false }
        return value != 0
    }
}
