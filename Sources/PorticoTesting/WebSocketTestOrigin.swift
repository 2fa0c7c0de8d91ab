import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// An in-process origin on 127.0.0.1 (ephemeral port) that accepts HTTP/1.1 upgrades,
/// for end-to-end tests of Portico's tunnels.
///
/// - `Upgrade: websocket` (NIOWebSocket's server upgrader, RFC 6455 §4.2): every text
///   and binary message is echoed back as one frame (fragmented messages are
///   reassembled first); pings are answered with pongs; a close frame is answered with
///   a close frame and the connection closed; the text message `close-me` makes the
///   origin close first (close frame 1000, then TCP close once the client answers).
///   The first `Sec-WebSocket-Protocol` the client offers is selected.
/// - `Upgrade: echo-raw`: after the 101, raw bytes are echoed.
/// - `Upgrade: flood-raw`: after the 101, the origin writes bytes as fast as the
///   connection takes them (``floodBytesWritten`` counts what the socket accepted),
///   for backpressure tests.
/// - Anything else (including a WebSocket request to `/no-upgrade`) is answered as plain
///   HTTP: `200` with the body `plain <uri>`. `GET /bogus-101` is answered with a 101
///   that names a protocol nobody offered (`Upgrade: bogus`).
public final class WebSocketTestOrigin: Sendable {
    struct State {
        var connectionCount = 0
        var openChannels: [Int: any Channel] = [:]
        var upgradeRequests: [HTTPRequestHead] = []
        var plainRequests: [HTTPRequestHead] = []
        var floodBytesWritten = 0
    }

    private let serverChannel: any Channel
    private let state: NIOLockedValueBox<State>

    private init(serverChannel: any Channel, state: NIOLockedValueBox<State>) {
        self.serverChannel = serverChannel
        self.state = state
    }

    /// Largest WebSocket frame the origin accepts (the tests send 1 MiB messages).
    public static let maxFrameSize = 1 << 24

    public static func start(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> WebSocketTestOrigin {
        let state = NIOLockedValueBox(State())
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let id = state.withLockedValue { state in
                    defer { state.connectionCount += 1 }
                    state.openChannels[state.connectionCount] = channel
                    return state.connectionCount
                }
                channel.closeFuture.whenComplete { _ in
                    _ = state.withLockedValue { $0.openChannels.removeValue(forKey: id) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    try Self.configure(channel, state: state)
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return WebSocketTestOrigin(serverChannel: channel, state: state)
    }

    private static func configure(_ channel: any Channel, state: NIOLockedValueBox<State>) throws {
        let webSocket = NIOWebSocketServerUpgrader(
            maxFrameSize: Self.maxFrameSize,
            shouldUpgrade: { channel, head in
                guard head.uri != "/no-upgrade", head.uri != "/bogus-101" else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                state.withLockedValue { $0.upgradeRequests.append(head) }
                var headers = HTTPHeaders()
                if let offered = head.headers["sec-websocket-protocol"].first?.split(separator: ",").first {
                    headers.add(name: "Sec-WebSocket-Protocol", value: offered.trimmingCharacters(in: " "))
                }
                return channel.eventLoop.makeSucceededFuture(headers)
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(WebSocketEchoHandler())
                }
            }
        )
        let upgraders: [any HTTPServerProtocolUpgrader] = [
            webSocket,
            RawTestUpgrader(protocolName: "echo-raw", state: state),
            RawTestUpgrader(protocolName: "flood-raw", state: state),
        ]
        let plain = PlainHTTPHandler(state: state)
        let sync = channel.pipeline.syncOperations
        try sync.configureHTTPServerPipeline(
            withServerUpgrade: (
                upgraders: upgraders,
                completionHandler: { context in
                    // The plain handler must not see the new protocol's bytes.
                    if let handler = try? context.pipeline.syncOperations.handler(type: PlainHTTPHandler.self) {
                        context.pipeline.syncOperations.removeHandler(handler, promise: nil)
                    }
                }
            )
        )
        try sync.addHandler(plain)
    }

    /// The bound port.
    public var port: Int { self.serverChannel.localAddress?.port ?? 0 }

    /// TCP connections accepted so far.
    public var connectionCount: Int { self.state.withLockedValue { $0.connectionCount } }

    /// TCP connections currently open.
    public var openConnectionCount: Int { self.state.withLockedValue { $0.openChannels.count } }

    /// Heads of the upgrade requests accepted (WebSocket and raw), in order.
    public var upgradeRequests: [HTTPRequestHead] { self.state.withLockedValue { $0.upgradeRequests } }

    /// Heads of the requests answered as plain HTTP.
    public var plainRequests: [HTTPRequestHead] { self.state.withLockedValue { $0.plainRequests } }

    /// Bytes the `flood-raw` connections handed to their sockets so far.
    public var floodBytesWritten: Int { self.state.withLockedValue { $0.floodBytesWritten } }

    /// Stops listening and closes every open connection.
    public func stop() async throws {
        let children = self.state.withLockedValue { Array($0.openChannels.values) }
        try? await self.serverChannel.close()
        for child in children {
            try? await child.close()
        }
    }
}

/// Answers requests that did not upgrade. Confined to its event loop.
private final class PlainHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let state: NIOLockedValueBox<WebSocketTestOrigin.State>
    private var head: HTTPRequestHead?

    init(state: NIOLockedValueBox<WebSocketTestOrigin.State>) {
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.state.withLockedValue { $0.plainRequests.append(head) }
        case .body:
            break
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            if head.uri == "/bogus-101" {
                var response = HTTPResponseHead(version: .http1_1, status: .switchingProtocols)
                response.headers.add(name: "Upgrade", value: "bogus")
                response.headers.add(name: "Connection", value: "upgrade")
                context.writeAndFlush(self.wrapOutboundOut(.head(response)), promise: nil)
                return
            }
            let body = ByteBuffer(string: "plain \(head.uri)")
            var response = HTTPResponseHead(version: .http1_1, status: .ok)
            response.headers.add(name: "Content-Length", value: String(body.readableBytes))
            response.headers.add(name: "Content-Type", value: "text/plain")
            context.write(self.wrapOutboundOut(.head(response)), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

/// Upgrades to a raw-byte test protocol (`echo-raw` or `flood-raw`).
private final class RawTestUpgrader: HTTPServerProtocolUpgrader, Sendable {
    let supportedProtocol: String
    let requiredUpgradeHeaders: [String] = []
    private let state: NIOLockedValueBox<WebSocketTestOrigin.State>

    init(protocolName: String, state: NIOLockedValueBox<WebSocketTestOrigin.State>) {
        self.supportedProtocol = protocolName
        self.state = state
    }

    func buildUpgradeResponse(
        channel: any Channel,
        upgradeRequest: HTTPRequestHead,
        initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        self.state.withLockedValue { $0.upgradeRequests.append(upgradeRequest) }
        return channel.eventLoop.makeSucceededFuture(initialResponseHeaders)
    }

    func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        context.eventLoop.makeCompletedFuture {
            if self.supportedProtocol == "flood-raw" {
                try context.pipeline.syncOperations.addHandler(RawFloodHandler(state: self.state))
            } else {
                try context.pipeline.syncOperations.addHandler(RawEchoHandler())
            }
        }
    }
}

/// Echoes raw bytes (after an `echo-raw` upgrade).
private final class RawEchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Writes 64 KiB blocks while the connection is writable (after a `flood-raw` upgrade),
/// counting the bytes the socket accepted.
private final class RawFloodHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let block = ByteBuffer(repeating: UInt8(ascii: "f"), count: 64 * 1024)
    /// Far more than any socket buffers can hold: a proxy without backpressure would
    /// take all of it.
    private static let limit = 1 << 30
    private let state: NIOLockedValueBox<WebSocketTestOrigin.State>
    private var queued = 0

    init(state: NIOLockedValueBox<WebSocketTestOrigin.State>) {
        self.state = state
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.pump(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.pump(context: context)
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func pump(context: ChannelHandlerContext) {
        let state = self.state
        let count = Self.block.readableBytes
        while context.channel.isActive, context.channel.isWritable, self.queued < Self.limit {
            self.queued += count
            let promise = context.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenSuccess {
                state.withLockedValue { $0.floodBytesWritten += count }
            }
            context.writeAndFlush(self.wrapOutboundOut(Self.block), promise: promise)
        }
    }
}

/// Echoes WebSocket messages (RFC 6455 §5): reassembles fragmented messages, answers
/// pings, completes the close handshake, and closes first on `close-me`.
private final class WebSocketEchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var message: (opcode: WebSocketOpcode, data: ByteBuffer)?
    private var sentClose = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            self.message = (frame.opcode, frame.unmaskedData)
            if frame.fin { self.messageComplete(context: context) }
        case .continuation:
            guard var message = self.message else { return }
            var data = frame.unmaskedData
            message.data.writeBuffer(&data)
            self.message = message
            if frame.fin { self.messageComplete(context: context) }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(self.wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            if self.sentClose {
                context.close(promise: nil)
                return
            }
            // Echo the status code (RFC 6455 §5.5.1), then the server closes TCP first.
            var payload = frame.unmaskedData
            let code = payload.readSlice(length: min(2, payload.readableBytes)) ?? ByteBuffer()
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: code)
            self.sentClose = true
            let channel = context.channel
            context.writeAndFlush(self.wrapOutboundOut(close)).whenComplete { _ in
                channel.close(promise: nil)
            }
        default:
            break
        }
    }

    private func messageComplete(context: ChannelHandlerContext) {
        guard let message = self.message else { return }
        self.message = nil
        if message.opcode == .text, String(buffer: message.data) == "close-me" {
            var code = ByteBuffer()
            code.writeInteger(UInt16(1000))
            self.sentClose = true
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: code)
            context.writeAndFlush(self.wrapOutboundOut(close), promise: nil)
            return
        }
        let echo = WebSocketFrame(fin: true, opcode: message.opcode, data: message.data)
        context.writeAndFlush(self.wrapOutboundOut(echo), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        String(self.drop { $0 == character }.reversed().drop { $0 == character }.reversed())
    }
}
