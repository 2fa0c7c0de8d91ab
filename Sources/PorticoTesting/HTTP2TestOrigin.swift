import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP2
import NIOPosix
import NIOSSL

/// An in-process HTTP/2 origin for upstream HTTP/2 tests: h2c by prior knowledge, or
/// h2 over TLS (ALPN `h2`) when given an `NIOSSLContext`. It counts connections and
/// streams, and records each request's fields.
///
/// Routes (by `:path`):
/// - `/echo`: answers 200 at once and echoes each request DATA frame as it arrives
///   (streaming both ways), ending when the request ends.
/// - `/grpc` (or any `content-type: application/grpc`): answers 200
///   `application/grpc`, echoes each complete length-prefixed message as it arrives,
///   and ends with trailers `grpc-status: 0`, `grpc-message: ok`.
/// - `/slow`: like the default, after 200 ms (to hold streams open).
/// - `/refuse`: resets the stream with REFUSED_STREAM.
/// - anything else: after the request ends, 200 with body `h2 <method> <path>` and
///   response fields `x-seen-te`, `x-seen-authority`, `x-seen-scheme`.
public final class HTTP2TestOrigin: Sendable {
    struct State {
        var connectionCount = 0
        var streamCount = 0
        var requests: [[(String, String)]] = []
        var channels: [any Channel] = []
    }

    private let serverChannel: any Channel
    private let state: NIOLockedValueBox<State>

    private init(serverChannel: any Channel, state: NIOLockedValueBox<State>) {
        self.serverChannel = serverChannel
        self.state = state
    }

    /// - Parameters:
    ///   - tls: serve h2 over TLS with this context (its ALPN list should contain `h2`).
    ///   - maxConcurrentStreams: the SETTINGS_MAX_CONCURRENT_STREAMS the origin announces.
    public static func start(
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        tls: NIOSSLContext? = nil,
        maxConcurrentStreams: Int = 100
    ) async throws -> HTTP2TestOrigin {
        let state = NIOLockedValueBox(State())
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                state.withLockedValue {
                    $0.connectionCount += 1
                    $0.channels.append(channel)
                }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    var connection = NIOHTTP2Handler.ConnectionConfiguration()
                    connection.initialSettings = [
                        HTTP2Setting(parameter: .maxConcurrentStreams, value: maxConcurrentStreams),
                        HTTP2Setting(parameter: .maxHeaderListSize, value: 16 * 1024),
                    ]
                    _ = try sync.configureHTTP2Pipeline(
                        mode: .server,
                        connectionConfiguration: connection,
                        streamConfiguration: .init()
                    ) { stream in
                        state.withLockedValue { $0.streamCount += 1 }
                        return stream.eventLoop.makeCompletedFuture {
                            try stream.pipeline.syncOperations.addHandler(
                                HTTP2TestOriginStreamHandler { fields in
                                    state.withLockedValue { $0.requests.append(fields) }
                                }
                            )
                        }
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return HTTP2TestOrigin(serverChannel: channel, state: state)
    }

    public var port: Int { self.serverChannel.localAddress?.port ?? 0 }
    public var connectionCount: Int { self.state.withLockedValue { $0.connectionCount } }
    public var streamCount: Int { self.state.withLockedValue { $0.streamCount } }
    /// Each request's fields (pseudo-fields included), in arrival order.
    public func requests() -> [[(String, String)]] { self.state.withLockedValue { $0.requests } }

    /// Sends GOAWAY on every open connection (new streams must go elsewhere).
    public func goAwayAll() {
        let channels = self.state.withLockedValue { $0.channels }
        for channel in channels where channel.isActive {
            let frame = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: .maxID, errorCode: .noError, opaqueData: nil))
            channel.writeAndFlush(frame, promise: nil)
        }
    }

    public func stop() async throws {
        let channels = self.state.withLockedValue { $0.channels }
        try? await self.serverChannel.close()
        for channel in channels {
            try? await channel.close()
        }
    }
}

/// One request stream of `HTTP2TestOrigin`.
final class HTTP2TestOriginStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private enum Route { case echo, grpc, slow, plain }

    private let record: @Sendable ([(String, String)]) -> Void
    private var route = Route.plain
    private var fields: [(String, String)] = []
    private var grpcBuffer = ByteBuffer()

    init(record: @escaping @Sendable ([(String, String)]) -> Void) {
        self.record = record
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .headers(let headers):
            if self.fields.isEmpty {
                self.fields = headers.headers.map { ($0.name, $0.value) }
                self.record(self.fields)
                let path = headers.headers.first(name: ":path") ?? "/"
                let contentType = headers.headers.first(name: "content-type") ?? ""
                if path == "/refuse" {
                    context.writeAndFlush(self.wrapOutboundOut(.rstStream(.refusedStream)), promise: nil)
                    return
                }
                if path.hasPrefix("/grpc") || contentType.hasPrefix("application/grpc") {
                    self.route = .grpc
                    self.respondHead(context, ["content-type": "application/grpc"], endStream: false)
                } else if path.hasPrefix("/echo") {
                    self.route = .echo
                    self.respondHead(context, ["content-type": "application/octet-stream"], endStream: false)
                } else if path.hasPrefix("/slow") {
                    self.route = .slow
                }
            }
            if headers.endStream { self.requestEnded(context) }
        case .data(let frame):
            guard case .byteBuffer(var bytes) = frame.data else { return }
            switch self.route {
            case .echo:
                if bytes.readableBytes > 0 {
                    context.writeAndFlush(self.wrapOutboundOut(.data(.init(data: .byteBuffer(bytes)))), promise: nil)
                }
            case .grpc:
                self.grpcBuffer.writeBuffer(&bytes)
                // Echo each complete message (1-byte flag, 4-byte length, payload).
                while self.grpcBuffer.readableBytes >= 5,
                    let length = self.grpcBuffer.getInteger(at: self.grpcBuffer.readerIndex + 1, as: UInt32.self),
                    self.grpcBuffer.readableBytes >= 5 + Int(length)
                {
                    let message = self.grpcBuffer.readSlice(length: 5 + Int(length))!
                    context.writeAndFlush(self.wrapOutboundOut(.data(.init(data: .byteBuffer(message)))), promise: nil)
                }
            case .slow, .plain:
                break
            }
            if frame.endStream { self.requestEnded(context) }
        default:
            break
        }
    }

    private func requestEnded(_ context: ChannelHandlerContext) {
        switch self.route {
        case .echo:
            context.writeAndFlush(self.wrapOutboundOut(.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true))), promise: nil)
        case .grpc:
            let trailers: HTTP2Frame.FramePayload.Headers = .init(headers: .init([("grpc-status", "0"), ("grpc-message", "ok")]), endStream: true)
            context.writeAndFlush(self.wrapOutboundOut(.headers(trailers)), promise: nil)
        case .slow:
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(200)) {
                let (handler, context) = loopBound.value
                handler.respondPlain(context)
            }
        case .plain:
            self.respondPlain(context)
        }
    }

    private func respondPlain(_ context: ChannelHandlerContext) {
        func field(_ name: String) -> String { self.fields.first { $0.0 == name }?.1 ?? "" }
        let body = ByteBuffer(string: "h2 \(field(":method")) \(field(":path"))")
        self.respondHead(
            context,
            [
                "content-length": "\(body.readableBytes)",
                "x-seen-te": field("te"),
                "x-seen-authority": field(":authority"),
                "x-seen-scheme": field(":scheme"),
            ],
            endStream: false
        )
        context.writeAndFlush(self.wrapOutboundOut(.data(.init(data: .byteBuffer(body), endStream: true))), promise: nil)
    }

    private func respondHead(_ context: ChannelHandlerContext, _ extra: KeyValuePairs<String, String>, endStream: Bool) {
        var pairs = [(":status", "200")]
        for (name, value) in extra {
            pairs.append((name, value))
        }
        context.writeAndFlush(self.wrapOutboundOut(.headers(.init(headers: .init(pairs), endStream: endStream))), promise: nil)
    }
}
