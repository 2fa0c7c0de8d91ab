#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `portico run --control-socket PATH`: the running process's side of a zero-downtime
/// takeover. A successor (`TakeoverClient`, `portico run --takeover PATH`) connects and
///
/// 1. asks for the listeners (`listeners`); this process answers with one line per
///    listener and its listening sockets attached (`SCM_RIGHTS`), and keeps accepting;
/// 2. binds what it needs, starts accepting on the inherited sockets, and says `ready`;
/// 3. this process answers `draining` and calls `onHandover` (under `portico run`: a
///    graceful shutdown, as SIGTERM: stop accepting, finish in-flight requests within
///    `timeouts.shutdown_grace`, exit).
///
/// Between 1 and 3 both processes accept from the same sockets, so no connection waits
/// on a socket nobody accepts from. A successor that disconnects before `ready` (it
/// failed to start) changes nothing here.
///
/// The socket file is created mode 0600: whoever can connect can take the listeners.
public final class TakeoverServer: Sendable {
    public let path: String
    private let listenDescriptor: CInt
    private let inode: UInt
    private let pool: NIOThreadPool
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        var stopped = false
        var handedOver = false
        /// The successor being answered, if any (shut down by `stop()`).
        var conversation: CInt?
    }

    /// Binds `path` (removing a stale socket file left there, e.g. by the predecessor
    /// that handed over to this process) and starts answering successors.
    /// - Parameter onHandover: called once, on a background thread, when a successor
    ///   has said it is accepting.
    public static func start(
        path: String,
        server: ProxyServer,
        logger: Logger,
        onHandover: @escaping @Sendable () -> Void
    ) throws -> TakeoverServer {
        var status = stat()
        if lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFSOCK {
            unlink(path)
        }
        let descriptor = socket(AF_UNIX, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        do {
            let previousMask = umask(0o177)
            let bound = try TakeoverWire.withUnixAddress(path) { Glibc.bind(descriptor, $0, $1) }
            umask(previousMask)
            guard bound == 0 else { throw IOError(errnoCode: errno, reason: "bind \(path)") }
            guard listen(descriptor, 4) == 0 else { throw IOError(errnoCode: errno, reason: "listen") }
            guard stat(path, &status) == 0 else { throw IOError(errnoCode: errno, reason: "stat \(path)") }
        } catch {
            close(descriptor)
            throw error
        }
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let takeover = TakeoverServer(
            path: path, listenDescriptor: descriptor, inode: UInt(status.st_ino), pool: pool, logger: logger
        )
        pool.submit { _ in takeover.serve(server: server, onHandover: onHandover) }
        logger.notice("control socket ready", metadata: ["path": "\(path)"])
        return takeover
    }

    private init(path: String, listenDescriptor: CInt, inode: UInt, pool: NIOThreadPool, logger: Logger) {
        self.path = path
        self.listenDescriptor = listenDescriptor
        self.inode = inode
        self.pool = pool
        self.logger = logger
    }

    /// Stops answering and removes the socket file, unless a successor has already bound
    /// its own there.
    public func stop() async {
        let first = self.state.withLockedValue { state in
            defer { state.stopped = true }
            return !state.stopped
        }
        guard first else { return }
        // Wakes the blocked accept (Linux returns EINVAL on a shut-down listening socket)
        // and any conversation waiting for a successor's answer.
        shutdown(self.listenDescriptor, CInt(SHUT_RDWR))
        // Under the lock: the serving thread clears `conversation` (under the lock)
        // before closing it, so this never reaches a reused descriptor number.
        self.state.withLockedValue { state in
            if let conversation = state.conversation {
                shutdown(conversation, CInt(SHUT_RDWR))
            }
        }
        try? await self.pool.shutdownGracefully()
        close(self.listenDescriptor)
        var status = stat()
        if lstat(self.path, &status) == 0 && UInt(status.st_ino) == self.inode {
            unlink(self.path)
        }
    }

    /// Whether a successor has taken over.
    public var hasHandedOver: Bool { self.state.withLockedValue { $0.handedOver } }

    private func serve(server: ProxyServer, onHandover: @Sendable () -> Void) {
        while !self.state.withLockedValue({ $0.stopped || $0.handedOver }) {
            let connection = accept(self.listenDescriptor, nil, nil)
            if connection < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if self.state.withLockedValue({ $0.stopped }) { return }
                // EMFILE and the like: wait a little rather than spin.
                usleep(100_000)
                continue
            }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            let stopped = self.state.withLockedValue { state in
                state.conversation = connection
                return state.stopped
            }
            let handedOver = !stopped && self.converse(connection, server: server)
            self.state.withLockedValue { $0.conversation = nil }
            close(connection)
            if handedOver {
                self.state.withLockedValue { $0.handedOver = true }
                onHandover()
                return
            }
        }
    }

    /// One successor's conversation; true when it said `ready`.
    private func converse(_ connection: CInt, server: ProxyServer) -> Bool {
        do {
            TakeoverWire.setTimeouts(connection, seconds: 10)
            let request = try TakeoverWire.receive(connection)
            for descriptor in request.descriptors { close(descriptor) }
            guard request.text == TakeoverProtocol.askListeners else {
                try TakeoverWire.send(connection, "\(TakeoverProtocol.error) unknown request")
                return false
            }
            let handles = server.listenerHandles()
            guard !handles.isEmpty || server.config.listeners.isEmpty else {
                try TakeoverWire.send(connection, "\(TakeoverProtocol.error) shutting down")
                return false
            }
            try TakeoverWire.send(connection, TakeoverWire.encode(handles), descriptors: handles.map(\.descriptor))
            self.logger.notice("listening sockets sent to a successor", metadata: ["listeners": "\(handles.count)"])
            // The successor now starts (binds what else it needs, adopts the sockets):
            // allow it time.
            TakeoverWire.setTimeouts(connection, seconds: 120)
            let ready = try TakeoverWire.receive(connection)
            for descriptor in ready.descriptors { close(descriptor) }
            guard ready.text == TakeoverProtocol.ready else {
                self.logger.warning("takeover abandoned by the successor", metadata: ["said": "\(ready.text)"])
                return false
            }
            try? TakeoverWire.send(connection, TakeoverProtocol.draining)
            self.logger.notice("a successor is accepting; draining")
            return true
        } catch {
            self.logger.warning("takeover abandoned", metadata: ["error": "\(error)"])
            return false
        }
    }
}

/// The words of the takeover conversation (see `TakeoverServer`).
enum TakeoverProtocol {
    static let askListeners = "portico-takeover/1 listeners"
    static let ready = "ready"
    static let draining = "draining"
    static let error = "error"
}
