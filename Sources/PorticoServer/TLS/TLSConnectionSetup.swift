import Logging
import NIOCore
import NIOSSL
import NIOTLS
import PorticoCore
import PorticoProxy

extension ListenerTLSContexts {
    /// Sets up an accepted connection of a TLS listener:
    ///
    ///     [SNIHandler →] NIOSSLServerHandler → TLSHandshakeHandler
    ///
    /// With one certificate the SSL handler is added at once. With several, NIOTLS's
    /// `SNIHandler` reads the ClientHello's `server_name` first and the SSL handler with
    /// the matching context is put in its place (the buffered hello is replayed into it);
    /// each context is prebuilt, so the choice is a table lookup. Once the handshake is
    /// done, `TLSHandshakeHandler` installs the HTTP/1.1 or HTTP/2 pipeline the client
    /// negotiated with ALPN and leaves.
    func configure(_ channel: any Channel, worker: ProxyWorker, listener: ListenerRuntime, logger: Logger) throws {
        let sync = channel.pipeline.syncOperations
        guard listener.admitsBeforeHandshake(channel.remoteAddress) else {
            try sync.addHandler(RefusedConnectionHandler())
            return
        }
        let handshake = TLSHandshakeHandler(tls: self, worker: worker, listener: listener, logger: logger)
        if self.needsServerName {
            let sni = ByteToMessageHandler(SNIHandler { [self] result in
                let serverName: String?
                switch result {
                case .hostname(let name): serverName = name
                case .fallback: serverName = nil
                }
                do {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLServerHandler(context: self.context(for: serverName)),
                        position: .before(handshake)
                    )
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            })
            try sync.addHandler(sni)
            try sync.addHandler(handshake)
        } else {
            try sync.addHandler(NIOSSLServerHandler(context: self.contexts[0]))
            try sync.addHandler(handshake)
        }
    }
}

/// Waits for the TLS handshake of one connection, then hands the connection to the
/// HTTP pipeline ALPN chose (RFC 7301; "h2" per RFC 9113 §3.2, otherwise HTTP/1.1) and
/// removes itself.
///
/// Until then it enforces the handshake timeout and turns handshake failures (no shared
/// version or cipher, a refused client certificate, a scanner) into a debug log line
/// and a counter: they are the client's problem, not the proxy's, and at error level a
/// port scan would flood the log.
final class TLSHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let tls: ListenerTLSContexts
    private let worker: ProxyWorker
    private let listener: ListenerRuntime
    private let logger: Logger
    private var timeout: Scheduled<Void>?
    private var done = false

    init(tls: ListenerTLSContexts, worker: ProxyWorker, listener: ListenerRuntime, logger: Logger) {
        self.tls = tls
        self.worker = worker
        self.listener = listener
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        self.timeout = context.eventLoop.assumeIsolated().scheduleTask(in: self.tls.handshakeTimeout) { [self] in
            guard !self.done else { return }
            self.done = true
            self.failed(reason: "handshake timed out", channel: channel)
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timeout?.cancel()
        self.timeout = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard !self.done, let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = tlsEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        self.done = true
        self.timeout?.cancel()
        self.timeout = nil
        do {
            if negotiated == "h2" && self.tls.offersHTTP2 {
                try DownstreamPipeline.configureHTTP2(context.channel, worker: self.worker, listener: self.listener, scheme: .https)
            } else {
                try DownstreamPipeline.configure(context.channel, worker: self.worker, listener: self.listener, scheme: .https)
            }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            self.logger.debug(
                "cannot set up the connection after the TLS handshake",
                metadata: ["listener": "\(self.listener.name)", "protocol": "\(negotiated ?? "http/1.1")", "error": "\(error)"]
            )
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !self.done {
            self.done = true
            self.timeout?.cancel()
            self.failed(reason: "\(error)", channel: context.channel)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.done {
            // Closed before finishing the handshake (a probe, or a client that gave up).
            self.done = true
            self.timeout?.cancel()
        }
        context.fireChannelInactive()
    }

    private func failed(reason: String, channel: any Channel) {
        self.tls.counters.handshakeFailures.add(1, ordering: .relaxed)
        self.logger.debug(
            "TLS handshake failed",
            metadata: [
                "listener": "\(self.listener.name)",
                "client": "\(channel.remoteAddress?.ipAddress ?? "-")",
                "reason": "\(reason)",
            ]
        )
    }
}

/// Closes a connection refused by the listener's access list as soon as it is active,
/// without reading or writing a byte.
final class RefusedConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { context.close(promise: nil) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
