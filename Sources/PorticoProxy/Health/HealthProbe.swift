import NIOCore
import NIOPosix
import NIOSSL
import PorticoCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One active health probe: connect to a server, send a small HTTP/1.1 request with
/// `Connection: close`, read and judge the response (see `ProbeResponseReader`).
///
/// The whole probe, connect included, is bounded by `health_check.timeout`. The probe uses
/// its own connection rather than the keep-alive pool: a check must see whether the server
/// accepts *new* connections, and must never hand a pooled connection in an unknown state
/// to a client request.
public enum HealthProbe {
    /// Runs one probe against `address` on `eventLoop`.
    ///
    /// - Parameters:
    ///   - hostHeader: the `Host` header, normally the server's `host:port`;
    ///     `config.host` overrides it when set.
    /// - Returns: a future that always succeeds, with the verdict; it never fails. The
    ///   probe's channel is closed by the time the future completes, or right after (a
    ///   connect still under way when the timeout fires is closed as soon as it finishes).
    ///   - tls: probe over TLS with the server's group context (so a server whose
    ///     certificate Portico would refuse also fails its health check).
    public static func run(
        config: HealthCheckConfig,
        address: SocketAddress,
        hostHeader: String,
        tls: HealthProbeTLS? = nil,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<ProbeResult> {
        let promise = eventLoop.makePromise(of: ProbeResult.self)
        if eventLoop.inEventLoop {
            HealthProbeSession(config: config, eventLoop: eventLoop, promise: promise)
                .start(address: address, hostHeader: hostHeader, tls: tls)
        } else {
            eventLoop.execute {
                HealthProbeSession(config: config, eventLoop: eventLoop, promise: promise)
                    .start(address: address, hostHeader: hostHeader, tls: tls)
            }
        }
        return promise.futureResult
    }

    /// The probe request. Every field is fixed apart from the configured method, path and
    /// host: `Connection: close` so the server does not keep a connection for us, and a
    /// `User-Agent` that lets server logs tell probes from traffic.
    static func requestText(method: String, path: String, host: String) -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: Portico-Health-Check\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    }

    /// `2s`, `1500ms`: how timeouts appear in probe reasons.
    static func describe(_ duration: Duration) -> String {
        let millis = TimeAmount(duration).nanoseconds / 1_000_000
        return millis % 1000 == 0 ? "\(millis / 1000)s" : "\(millis)ms"
    }

    /// A short reason for a failed connect: `connection refused` rather than NIO's
    /// `connect(descriptor:addr:size:): Connection refused (errno: 111)`.
    static func describeConnectFailure(_ error: any Error, timeout: Duration) -> String {
        if let error = error as? ChannelError, case .connectTimeout = error {
            return "connect timed out after \(describe(timeout))"
        }
        if let error = error as? NIOConnectionError, let first = error.connectionErrors.first {
            return describeConnectFailure(first.error, timeout: timeout)
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return "connect failed: connection refused"
            case ECONNRESET: return "connect failed: connection reset"
            case EHOSTUNREACH: return "connect failed: host unreachable"
            case ENETUNREACH: return "connect failed: network unreachable"
            case ETIMEDOUT: return "connect failed: timed out"
            case EADDRNOTAVAIL: return "connect failed: address not available"
            default: break
            }
        }
        return "connect failed: \(error)"
    }
}

/// TLS settings of a probe: the group's client context and the SNI/verification name.
public struct HealthProbeTLS: Sendable {
    public let context: NIOSSLContext
    public let serverName: String?

    public init(context: NIOSSLContext, serverName: String?) {
        self.context = context
        self.serverName = serverName
    }
}

/// The state of one probe, confined to its event loop: the result promise (completed
/// once), the overall timeout, and the channel to close.
final class HealthProbeSession {
    private let config: HealthCheckConfig
    private let eventLoop: any EventLoop
    private let promise: EventLoopPromise<ProbeResult>
    private var finished = false
    private var channel: (any Channel)?
    private var timer: Scheduled<Void>?

    init(config: HealthCheckConfig, eventLoop: any EventLoop, promise: EventLoopPromise<ProbeResult>) {
        self.config = config
        self.eventLoop = eventLoop
        self.promise = promise
    }

    func start(address: SocketAddress, hostHeader: String, tls: HealthProbeTLS? = nil) {
        let host = config.host ?? hostHeader
        // Refuse to put CR, LF or NUL on the wire: they would split the probe request.
        for text in [config.method, config.path, host] where text.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) {
            finish(.fail("invalid probe request: control character in \(text.debugDescription)"))
            return
        }
        let timeout = TimeAmount(config.timeout)
        let timeoutText = HealthProbe.describe(config.timeout)
        timer = eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            timer = nil
            finish(.fail("timed out after \(timeoutText)"))
        }
        let request = ByteBuffer(string: HealthProbe.requestText(method: config.method, path: config.path, host: host))
        let handler = HealthProbeHandler(session: self, reader: ProbeResponseReader(config: config), request: request)
        // The initializer runs on this same loop (the bootstrap's group is this loop).
        let boundHandler = NIOLoopBound(handler, eventLoop: eventLoop)
        let configTimeout = config.timeout
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        let tlsHandler = try NIOSSLClientHandler(context: tls.context, serverHostname: tls.serverName)
                        try channel.pipeline.syncOperations.addHandler(tlsHandler)
                    }
                    try channel.pipeline.syncOperations.addHandler(boundHandler.value)
                }
            }
            .connect(to: address)
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    if finished {
                        channel.close(promise: nil)
                    } else {
                        self.channel = channel
                    }
                case .failure(let error):
                    finish(.fail(HealthProbe.describeConnectFailure(error, timeout: configTimeout)))
                }
            }
    }

    /// Completes the probe once; later calls (the close that follows, a late timer) are ignored.
    func finish(_ result: ProbeResult) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        timer = nil
        channel?.close(promise: nil)
        channel = nil
        promise.succeed(result)
    }
}

/// The only handler of a probe connection: writes the request once connected and feeds
/// the response to a `ProbeResponseReader`.
final class HealthProbeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let session: HealthProbeSession
    private var reader: ProbeResponseReader
    private let request: ByteBuffer
    private var done = false

    init(session: HealthProbeSession, reader: ProbeResponseReader, request: ByteBuffer) {
        self.session = session
        self.reader = reader
        self.request = request
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        var bytes = unwrapInboundIn(data)
        if case .done(let result) = reader.feed(&bytes) {
            report(result, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done, let result = reader.endOfInput() {
            report(result, context: context)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !done else { return }
        report(.fail("connection error: \(UpstreamTLSFailure.describe(error))"), context: context)
    }

    private func report(_ result: ProbeResult, context: ChannelHandlerContext) {
        done = true
        session.finish(result)
        context.close(promise: nil)
    }
}
