import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOWebSocket

/// A test client for HTTP/1.1 upgrades: the WebSocket opening handshake (RFC 6455 §4.1,
/// checking `Sec-WebSocket-Accept`) followed by masked frames, or a generic `Upgrade`
/// followed by raw bytes.
///
/// ```swift
/// let ws = try await WebSocketTestClient.connect(port: proxy.port)
/// try await ws.send(text: "hello")
/// #expect(try await ws.receive() == .text("hello"))
/// try await ws.close(code: 1000)
/// ```
///
/// Frames are encoded and decoded by NIOWebSocket's `WebSocketFrameEncoder` and
/// `WebSocketFrameDecoder`; messages fragmented by the server are reassembled. A close
/// frame from the server is answered with a close frame (RFC 6455 §5.5.1). Every read
/// has a timeout.
public final class WebSocketTestClient: Sendable {
    /// A complete message (or control frame) from the server.
    public enum Message: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
        /// A close frame, with its status code if it carried one.
        case close(UInt16?)
        case pong([UInt8])
    }

    /// The server's answer to the opening handshake.
    public struct Handshake: Sendable {
        public var status: Int
        public var headers: [HeaderField]

        /// The first value of `name` (case-insensitive).
        public func header(_ name: String) -> String? {
            self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    private let channel: any Channel
    private let inbox: NIOLoopBound<UpgradeClientInbox>
    private let sentClose: NIOLockedValueBox<Bool>
    /// The 101 the server (through the proxy) answered with.
    public let handshake: Handshake

    private init(channel: any Channel, inbox: NIOLoopBound<UpgradeClientInbox>, sentClose: NIOLockedValueBox<Bool>, handshake: Handshake) {
        self.channel = channel
        self.inbox = inbox
        self.sentClose = sentClose
        self.handshake = handshake
    }

    /// RFC 6455 §1.3: the GUID appended to the key before hashing.
    static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `Sec-WebSocket-Accept` for `key`: base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2).
    public static func acceptValue(forKey key: String) -> String {
        Data(Insecure.SHA1.hash(data: Data((key + Self.acceptGUID).utf8))).base64EncodedString()
    }

    /// Connects and performs the opening handshake. `protocolName` other than
    /// `websocket` makes a generic upgrade whose tunnel carries raw bytes
    /// (`sendRaw` / `readRaw`). Throws ``WebSocketTestClientError/handshakeFailed`` unless
    /// the answer is a 101 (with a matching `Sec-WebSocket-Accept` for WebSocket).
    public static func connect(
        host: String = "127.0.0.1",
        port: Int,
        path: String = "/",
        hostHeader: String = "example.test",
        protocolName: String = "websocket",
        extraHeaders: [(String, String)] = [],
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        timeout: Duration = .seconds(10)
    ) async throws -> WebSocketTestClient {
        let isWebSocket = protocolName == "websocket"
        let added = NIOLockedValueBox<(NIOLoopBound<UpgradeClientInbox>, NIOLockedValueBox<Bool>)?>(nil)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(timeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = UpgradeClientHandler(isWebSocket: isWebSocket, eventLoop: channel.eventLoop)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    // Kept here, not looked up after connecting (the pipeline may be empty by then).
                    added.withLockedValue { $0 = (NIOLoopBound(handler.inbox, eventLoop: channel.eventLoop), handler.inbox.sentClose) }
                }
            }
            .connect(host: host, port: port)
            .get()
        guard let (inbox, sentClose) = added.withLockedValue({ $0 }) else { throw ChannelError.ioOnClosedChannel }

        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        var request = "GET \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nConnection: Upgrade\r\nUpgrade: \(protocolName)\r\n"
        if isWebSocket {
            request += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        }
        for (name, value) in extraHeaders {
            request += "\(name): \(value)\r\n"
        }
        request += "\r\n"
        let handshakePromise = channel.eventLoop.makePromise(of: Handshake.self)
        channel.eventLoop.execute {
            inbox.value.startHandshake(handshakePromise, timeout: timeout)
        }
        try await channel.writeAndFlush(ByteBuffer(string: request))
        let handshake: Handshake
        do {
            handshake = try await handshakePromise.futureResult.get()
        } catch {
            try? await channel.close()
            throw error
        }
        let acceptOK = !isWebSocket || handshake.header("sec-websocket-accept") == Self.acceptValue(forKey: key)
        guard handshake.status == 101, acceptOK else {
            try? await channel.close()
            throw WebSocketTestClientError.handshakeFailed(status: handshake.status, headers: handshake.headers)
        }
        return WebSocketTestClient(channel: channel, inbox: inbox, sentClose: sentClose, handshake: handshake)
    }

    // MARK: Sending (WebSocket)

    public func send(text: String) async throws {
        try await self.sendFrame(opcode: .text, ByteBuffer(string: text))
    }

    public func send(binary: [UInt8]) async throws {
        try await self.sendFrame(opcode: .binary, ByteBuffer(bytes: binary))
    }

    /// Sends one message as `pieces` frames: the first with the message's opcode, the
    /// rest continuation frames, only the last with FIN (RFC 6455 §5.4).
    public func sendFragmented(binary: [UInt8], pieces: Int) async throws {
        let size = max(1, (binary.count + pieces - 1) / pieces)
        var offset = 0
        var first = true
        repeat {
            let end = min(binary.count, offset + size)
            try await self.sendFrame(
                opcode: first ? .binary : .continuation, ByteBuffer(bytes: binary[offset..<end]), fin: end == binary.count
            )
            first = false
            offset = end
        } while offset < binary.count
    }

    public func sendFragmented(text: String, pieces: Int) async throws {
        let bytes = Array(text.utf8)
        let size = max(1, (bytes.count + pieces - 1) / pieces)
        var offset = 0
        var first = true
        repeat {
            let end = min(bytes.count, offset + size)
            try await self.sendFrame(
                opcode: first ? .text : .continuation, ByteBuffer(bytes: bytes[offset..<end]), fin: end == bytes.count
            )
            first = false
            offset = end
        } while offset < bytes.count
    }

    public func ping(_ payload: [UInt8] = []) async throws {
        try await self.sendFrame(opcode: .ping, ByteBuffer(bytes: payload))
    }

    /// Sends a close frame with `code` (the close handshake's first half).
    public func sendClose(code: UInt16 = 1000) async throws {
        var data = ByteBuffer()
        data.writeInteger(code)
        self.sentClose.withLockedValue { $0 = true }
        try await self.sendFrame(opcode: .connectionClose, data)
    }

    /// Every client frame is masked with a fresh key (RFC 6455 §5.3).
    private func sendFrame(opcode: WebSocketOpcode, _ data: ByteBuffer, fin: Bool = true) async throws {
        let frame = WebSocketFrame(fin: fin, opcode: opcode, maskKey: .random(), data: data)
        try await self.channel.writeAndFlush(frame)
    }

    // MARK: Receiving (WebSocket)

    /// The next complete message or control frame from the server.
    public func receive(timeout: Duration = .seconds(10)) async throws -> Message {
        let promise = self.channel.eventLoop.makePromise(of: Message.self)
        let inbox = self.inbox
        self.channel.eventLoop.execute {
            inbox.value.startReceive(promise, timeout: timeout)
        }
        return try await promise.futureResult.get()
    }

    // MARK: Raw tunnels

    public func sendRaw(_ bytes: [UInt8]) async throws {
        try await self.channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Reads exactly `count` raw bytes from the tunnel.
    public func readRaw(count: Int, timeout: Duration = .seconds(10)) async throws -> [UInt8] {
        let promise = self.channel.eventLoop.makePromise(of: [UInt8].self)
        let inbox = self.inbox
        self.channel.eventLoop.execute {
            inbox.value.startRawRead(count: count, promise, timeout: timeout)
        }
        return try await promise.futureResult.get()
    }

    // MARK: Connection

    /// Stops reading from the socket (the kernel's receive buffer fills, then the
    /// sender is held back by TCP flow control).
    public func pauseReading() async throws {
        try await self.channel.setOption(.autoRead, value: false).get()
    }

    public func resumeReading() async throws {
        try await self.channel.setOption(.autoRead, value: true).get()
        self.channel.read()
    }

    /// Bytes received from the server after the handshake (frames or raw).
    public var bytesReceived: Int {
        get async throws {
            let inbox = self.inbox
            return try await self.channel.eventLoop.submit { inbox.value.totalBytes }.get()
        }
    }

    /// Waits up to `timeout` for the connection to close; returns whether it did.
    public func waitForClose(timeout: Duration = .seconds(10)) async -> Bool {
        let closeFuture = self.channel.closeFuture
        let timer = self.channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {}
        let promise = self.channel.eventLoop.makePromise(of: Bool.self)
        closeFuture.whenComplete { _ in
            timer.cancel()
            promise.succeed(true)
        }
        timer.futureResult.whenSuccess { promise.succeed(false) }
        return (try? await promise.futureResult.get()) ?? true
    }

    public var isClosed: Bool {
        !self.channel.isActive
    }

    /// Closes the TCP connection (no close handshake).
    public func close() async {
        try? await self.channel.close()
    }
}

public enum WebSocketTestClientError: Error, CustomStringConvertible {
    case handshakeFailed(status: Int, headers: [HeaderField])
    case timeout(String)
    case closed
    case malformedHandshake

    public var description: String {
        switch self {
        case .handshakeFailed(let status, let headers): "handshake failed: \(status) \(headers)"
        case .timeout(let what): "timed out \(what)"
        case .closed: "connection closed"
        case .malformedHandshake: "malformed handshake response"
        }
    }
}

/// What the client has received, and the read in progress. Event-loop confined.
final class UpgradeClientInbox {
    var messages: [WebSocketTestClient.Message] = []
    var raw = ByteBuffer()
    var totalBytes = 0
    var isClosed = false
    /// The client sent a close frame (so a close from the server is its answer).
    let sentClose = NIOLockedValueBox(false)

    private enum Waiter {
        case handshake(EventLoopPromise<WebSocketTestClient.Handshake>)
        case message(EventLoopPromise<WebSocketTestClient.Message>)
        case raw(Int, EventLoopPromise<[UInt8]>)

        func fail(_ error: any Error) {
            switch self {
            case .handshake(let promise): promise.fail(error)
            case .message(let promise): promise.fail(error)
            case .raw(_, let promise): promise.fail(error)
            }
        }
    }

    private var waiter: (Waiter, Scheduled<Void>)?
    var handshake: WebSocketTestClient.Handshake?
    private let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func startHandshake(_ promise: EventLoopPromise<WebSocketTestClient.Handshake>, timeout: Duration) {
        self.start(.handshake(promise), timeout: timeout, what: "waiting for the handshake response")
    }

    func startReceive(_ promise: EventLoopPromise<WebSocketTestClient.Message>, timeout: Duration) {
        self.start(.message(promise), timeout: timeout, what: "waiting for a message")
    }

    func startRawRead(count: Int, _ promise: EventLoopPromise<[UInt8]>, timeout: Duration) {
        self.start(.raw(count, promise), timeout: timeout, what: "waiting for \(count) raw bytes")
    }

    private func start(_ waiter: Waiter, timeout: Duration, what: String) {
        if let (pending, _) = self.waiter {
            pending.fail(WebSocketTestClientError.timeout("(superseded)"))
        }
        let timer = self.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
            guard let (pending, _) = self.waiter else { return }
            self.waiter = nil
            pending.fail(WebSocketTestClientError.timeout("\(what) (\(self.raw.readableBytes) raw bytes buffered)"))
        }
        self.waiter = (waiter, timer)
        self.progress()
    }

    func progress() {
        guard let (waiter, timer) = self.waiter else { return }
        switch waiter {
        case .handshake(let promise):
            if let handshake = self.handshake {
                self.finish(timer) { promise.succeed(handshake) }
            } else if self.isClosed {
                self.finish(timer) { promise.fail(WebSocketTestClientError.closed) }
            }
        case .message(let promise):
            if !self.messages.isEmpty {
                let message = self.messages.removeFirst()
                self.finish(timer) { promise.succeed(message) }
            } else if self.isClosed {
                self.finish(timer) { promise.fail(WebSocketTestClientError.closed) }
            }
        case .raw(let count, let promise):
            if self.raw.readableBytes >= count {
                let bytes = self.raw.readBytes(length: count)!
                self.raw.discardReadBytes()
                self.finish(timer) { promise.succeed(bytes) }
            } else if self.isClosed {
                self.finish(timer) { promise.fail(WebSocketTestClientError.closed) }
            }
        }
    }

    private func finish(_ timer: Scheduled<Void>, _ complete: () -> Void) {
        self.waiter = nil
        timer.cancel()
        complete()
    }
}

/// Reads the handshake response head, then either adds NIOWebSocket's frame codec
/// behind itself (WebSocket) or keeps the raw bytes (generic upgrade).
final class UpgradeClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let isWebSocket: Bool
    private var headBuffer = ByteBuffer()
    private var upgraded = false
    let inbox: UpgradeClientInbox

    init(isWebSocket: Bool, eventLoop: any EventLoop) {
        self.isWebSocket = isWebSocket
        self.inbox = UpgradeClientInbox(eventLoop: eventLoop)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        guard !self.upgraded else {
            self.deliver(context: context, bytes)
            return
        }
        self.headBuffer.writeBuffer(&bytes)
        let view = self.headBuffer.readableBytesView
        guard let end = view.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
        let headLength = end.upperBound - view.startIndex
        let head = self.headBuffer.readString(length: headLength) ?? ""
        let rest = self.headBuffer
        self.headBuffer = ByteBuffer()
        guard let handshake = Self.parseHead(head) else {
            self.inbox.isClosed = true
            self.inbox.progress()
            context.close(promise: nil)
            return
        }
        if handshake.status == 101 {
            self.upgraded = true
            if self.isWebSocket {
                do {
                    try context.pipeline.syncOperations.addHandlers(
                        [
                            ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: WebSocketTestOrigin.maxFrameSize)),
                            WebSocketFrameEncoder(),
                            WebSocketMessageCollector(inbox: self.inbox),
                        ],
                        position: .last  // behind this handler
                    )
                } catch {
                    context.close(promise: nil)
                    return
                }
            }
        }
        self.inbox.handshake = handshake
        self.inbox.progress()
        if rest.readableBytes > 0 && self.upgraded {
            self.deliver(context: context, rest)
        }
    }

    private func deliver(context: ChannelHandlerContext, _ bytes: ByteBuffer) {
        self.inbox.totalBytes += bytes.readableBytes
        if self.isWebSocket {
            context.fireChannelRead(self.wrapInboundOut(bytes))
        } else {
            var bytes = bytes
            self.inbox.raw.writeBuffer(&bytes)
            self.inbox.progress()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.inbox.isClosed = true
        self.inbox.progress()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    static func parseHead(_ text: String) -> WebSocketTestClient.Handshake? {
        let lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard let statusLine = lines.first else { return nil }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else { return nil }
        var headers: [HeaderField] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append(HeaderField(name, value))
        }
        return WebSocketTestClient.Handshake(status: status, headers: headers)
    }
}

/// Reassembles the server's (possibly fragmented) messages into the inbox, and answers a
/// server-initiated close with a close frame.
final class WebSocketMessageCollector: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let inbox: UpgradeClientInbox
    private var partial: (opcode: WebSocketOpcode, data: ByteBuffer)?

    init(inbox: UpgradeClientInbox) {
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            self.partial = (frame.opcode, frame.unmaskedData)
            if frame.fin { self.complete() }
        case .continuation:
            guard var partial = self.partial else { return }
            var data = frame.unmaskedData
            partial.data.writeBuffer(&data)
            self.partial = partial
            if frame.fin { self.complete() }
        case .pong:
            self.inbox.messages.append(.pong(Array(buffer: frame.unmaskedData)))
        case .connectionClose:
            var payload = frame.unmaskedData
            let code: UInt16? = payload.readInteger()
            self.inbox.messages.append(.close(code))
            let alreadySent = self.inbox.sentClose.withLockedValue { sent in
                defer { sent = true }
                return sent
            }
            if !alreadySent {
                var data = ByteBuffer()
                if let code { data.writeInteger(code) }
                let reply = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
                context.writeAndFlush(self.wrapOutboundOut(reply), promise: nil)
            }
        default:
            break
        }
        self.inbox.progress()
    }

    private func complete() {
        guard let partial = self.partial else { return }
        self.partial = nil
        if partial.opcode == .text {
            self.inbox.messages.append(.text(String(buffer: partial.data)))
        } else {
            self.inbox.messages.append(.binary(Array(buffer: partial.data)))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
