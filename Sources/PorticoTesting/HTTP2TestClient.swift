import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP2
import NIOHPACK
import NIOPosix
import NIOSSL

/// An HTTP/2 client for tests (RFC 9113): over plain TCP with prior knowledge (h2c), or
/// over TLS with ALPN `h2` when given an `NIOSSLContext`.
///
/// ```swift
/// let client = try await HTTP2TestClient.connect(port: proxy.port)
/// let response = try await client.request(path: "/x")
/// let stream = try await client.openStream(method: "POST", path: "/up")   // streaming body
/// try await stream.send(bytes); try await stream.finish()
/// let answer = try await stream.response()
/// ```
///
/// Many streams may be open at once. Responses record interim heads, the final head,
/// the body (a digest always, the bytes up to `maxRetainedBodyBytes`), trailers, and a
/// reset's error code. Every wait has a timeout.
public final class HTTP2TestClient: Sendable {
    public let channel: any Channel
    private let multiplexer: NIOHTTP2Handler.StreamMultiplexer
    private let connectionEvents: NIOLoopBound<HTTP2ConnectionEventRecorder>

    private init(
        channel: any Channel,
        multiplexer: NIOHTTP2Handler.StreamMultiplexer,
        connectionEvents: NIOLoopBound<HTTP2ConnectionEventRecorder>
    ) {
        self.channel = channel
        self.multiplexer = multiplexer
        self.connectionEvents = connectionEvents
    }

    /// Connects and sends the HTTP/2 preface. With `tls`, the handshake offers ALPN `h2`
    /// (configure the context with `applicationProtocols: ["h2"]`).
    public static func connect(
        host: String = "127.0.0.1",
        port: Int,
        tls: NIOSSLContext? = nil,
        serverHostname: String? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> HTTP2TestClient {
        let parts = NIOLockedValueBox<(NIOHTTP2Handler.StreamMultiplexer, NIOLoopBound<HTTP2ConnectionEventRecorder>)?>(nil)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                    }
                    // No validation of what the test sends: abuse tests send malformed requests.
                    var connection = NIOHTTP2Handler.ConnectionConfiguration()
                    connection.headerBlockValidation = .disabled
                    connection.contentLengthValidation = .disabled
                    let http2 = NIOHTTP2Handler(
                        mode: .client,
                        eventLoop: channel.eventLoop,
                        connectionConfiguration: connection,
                        streamConfiguration: .init()
                    ) { stream in
                        stream.eventLoop.makeSucceededVoidFuture()
                    }
                    try sync.addHandler(http2)
                    let recorder = HTTP2ConnectionEventRecorder()
                    try sync.addHandler(recorder)
                    // Taken here, not looked up after connecting: a server that closes
                    // at once (a refused client) would have emptied the pipeline by then.
                    let multiplexer = try http2.syncMultiplexer()
                    parts.withLockedValue { $0 = (multiplexer, NIOLoopBound(recorder, eventLoop: channel.eventLoop)) }
                }
            }
            .connect(host: host, port: port)
            .get()
        guard let (multiplexer, recorder) = parts.withLockedValue({ $0 }) else {
            throw ChannelError.ioOnClosedChannel
        }
        return HTTP2TestClient(channel: channel, multiplexer: multiplexer, connectionEvents: recorder)
    }

    /// One complete request; the body, if any, goes in one DATA frame.
    public func request(
        method: String = "GET",
        path: String,
        authority: String = "example.test",
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(20)
    ) async throws -> HTTP2TestResponse {
        let stream = try await self.openStream(
            method: method, path: path, authority: authority, headers: headers, endStream: body == nil
        )
        if let body {
            try await stream.send(body, endStream: true)
        }
        return try await stream.response(timeout: timeout)
    }

    /// Opens a stream and sends its HEADERS; send the body with `send` / `finish`.
    /// With `autoRead: false` the stream reads nothing (its window fills, the server must
    /// stop sending) until `read()` is called: a slow client.
    public func openStream(
        method: String = "GET",
        path: String,
        authority: String = "example.test",
        scheme: String = "http",
        headers: [(String, String)] = [],
        endStream: Bool = false,
        autoRead: Bool = true,
        maxRetainedBodyBytes: Int = 1 << 20
    ) async throws -> HTTP2TestStream {
        var block = HPACKHeaders()
        block.add(name: ":method", value: method)
        block.add(name: ":scheme", value: scheme)
        block.add(name: ":authority", value: authority)
        block.add(name: ":path", value: path)
        for (name, value) in headers { block.add(name: name, value: value) }
        return try await self.openStream(headerBlock: block, endStream: endStream, autoRead: autoRead, maxRetainedBodyBytes: maxRetainedBodyBytes)
    }

    /// Opens a stream with exactly this header block (pseudo-headers included).
    public func openStream(
        headerBlock: HPACKHeaders,
        endStream: Bool,
        autoRead: Bool = true,
        maxRetainedBodyBytes: Int = 1 << 20
    ) async throws -> HTTP2TestStream {
        let collector = NIOLockedValueBox<HTTP2ResponseCollector.Shared?>(nil)
        let channel = try await self.multiplexer.createStreamChannel { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.syncOptions?.setOption(ChannelOptions.autoRead, value: autoRead)
                let handler = HTTP2ResponseCollector(maxRetainedBodyBytes: maxRetainedBodyBytes, eventLoop: channel.eventLoop)
                collector.withLockedValue { $0 = handler.shared }
                try channel.pipeline.syncOperations.addHandler(handler)
            }
        }.get()
        let shared = collector.withLockedValue { $0 }!
        do {
            try await channel.writeAndFlush(HTTP2Frame.FramePayload.headers(.init(headers: headerBlock, endStream: endStream)))
        } catch {
            // The server may reset the stream before the write completes; the response
            // says how it ended. A dead connection still throws.
            guard self.channel.isActive else { throw error }
        }
        return HTTP2TestStream(channel: channel, shared: shared)
    }

    /// Writes frames straight to the connection (any stream id, any order): for abuse tests.
    public func sendRawFrames(_ frames: [HTTP2Frame]) async throws {
        let channel = self.channel
        try await channel.eventLoop.flatSubmit {
            let promise = channel.eventLoop.makePromise(of: Void.self)
            for frame in frames.dropLast() {
                channel.write(frame, promise: nil)
            }
            if let last = frames.last {
                channel.writeAndFlush(last, promise: promise)
            } else {
                promise.succeed()
            }
            return promise.futureResult
        }.get()
    }

    /// The GOAWAY frames received so far: (last stream id, error code).
    public func goAways() async throws -> [(lastStreamID: Int, code: HTTP2ErrorCode)] {
        let events = self.connectionEvents
        return try await self.channel.eventLoop.submit { events.value.goAways }.get()
    }

    /// Whether the connection has been closed.
    public var isClosed: Bool {
        get async {
            (try? await self.channel.eventLoop.submit { !self.channel.isActive }.get()) ?? true
        }
    }

    /// Waits for the connection to close.
    public func waitForClose(timeout: Duration = .seconds(20)) async throws {
        try await waitWithTimeout(self.channel.closeFuture, timeout: timeout, what: "connection close")
    }

    public func close() async {
        try? await self.channel.close()
    }
}

public enum HTTP2TestClientError: Error, Sendable {
    case timedOut(String)
    case streamReset(HTTP2ErrorCode)
    case streamClosedEarly
}

/// A finished HTTP/2 response.
public struct HTTP2TestResponse: Sendable {
    /// Non-final (1xx) heads, in order.
    public var interim: [[HeaderField]] = []
    public var headers: [HeaderField] = []
    public var body: [UInt8] = []
    public var bodyDigest = BodyDigest()
    public var trailers: [HeaderField] = []
    /// How many DATA frames carried body bytes.
    public var dataFrames = 0
    /// Set when the stream ended with RST_STREAM instead of END_STREAM.
    public var resetCode: HTTP2ErrorCode?

    public init() {}

    public var status: Int { Int(self.headers.first(named: ":status") ?? "") ?? 0 }
    public var bodyString: String { String(decoding: self.body, as: UTF8.self) }
    public func header(_ name: String) -> String? { self.headers.first(named: name) }
}

/// One open stream of an `HTTP2TestClient`.
public final class HTTP2TestStream: Sendable {
    public let channel: any Channel
    fileprivate let shared: HTTP2ResponseCollector.Shared

    fileprivate init(channel: any Channel, shared: HTTP2ResponseCollector.Shared) {
        self.channel = channel
        self.shared = shared
    }

    /// Sends body bytes (one DATA frame per 16 KiB), waiting for the flow-control window.
    public func send(_ bytes: [UInt8], endStream: Bool = false) async throws {
        var offset = 0
        repeat {
            let count = min(16 * 1024, bytes.count - offset)
            let last = offset + count >= bytes.count
            let buffer = ByteBuffer(bytes: bytes[offset..<(offset + count)])
            let frame = HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(buffer), endStream: endStream && last))
            if last || !self.channel.isWritable {
                try await self.channel.writeAndFlush(frame)
            } else {
                self.channel.write(frame, promise: nil)
            }
            offset += count
        } while offset < bytes.count
    }

    /// Ends the request (an empty DATA frame with END_STREAM).
    public func finish() async throws {
        try await self.channel.writeAndFlush(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true)))
    }

    /// Sends trailing HEADERS with END_STREAM.
    public func finish(trailers: [(String, String)]) async throws {
        var block = HPACKHeaders()
        for (name, value) in trailers { block.add(name: name, value: value) }
        try await self.channel.writeAndFlush(HTTP2Frame.FramePayload.headers(.init(headers: block, endStream: true)))
    }

    /// Resets the stream (RST_STREAM) and closes it.
    public func reset(_ code: HTTP2ErrorCode = .cancel) async throws {
        try await self.channel.writeAndFlush(HTTP2Frame.FramePayload.rstStream(code))
    }

    /// Asks for more frames on a stream opened with `autoRead: false`.
    public func read() {
        self.channel.read()
    }

    /// Turns reading on (for a stream opened with `autoRead: false`).
    public func startReading() async throws {
        try await self.channel.setOption(ChannelOptions.autoRead, value: true).get()
        self.channel.read()
    }

    /// Body bytes received so far.
    public var bodyBytesReceived: Int { self.shared.state.withLockedValue { $0.response.bodyDigest.byteCount } }

    /// Whether the final response head has arrived.
    public var hasHead: Bool { self.shared.state.withLockedValue { !$0.response.headers.isEmpty } }

    /// Waits for the end of the response (END_STREAM or RST_STREAM).
    public func response(timeout: Duration = .seconds(20)) async throws -> HTTP2TestResponse {
        try await waitWithTimeout(self.shared.done.futureResult, timeout: timeout, what: "response")
    }
}

/// Waits for `future`, failing after `timeout` (a future's `get()` cannot be cancelled,
/// so racing it in a task group would wait for it anyway).
private func waitWithTimeout<T: Sendable>(_ future: EventLoopFuture<T>, timeout: Duration, what: String) async throws -> T {
    let promise = future.eventLoop.makePromise(of: T.self)
    future.cascade(to: promise)
    let timer = future.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
        promise.fail(HTTP2TestClientError.timedOut(what))
    }
    defer { timer.cancel() }
    return try await promise.futureResult.get()
}

/// Collects one stream's response frames.
private final class HTTP2ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload

    final class Shared: Sendable {
        struct State {
            var response = HTTP2TestResponse()
            var finished = false
        }
        let state = NIOLockedValueBox(State())
        let done: EventLoopPromise<HTTP2TestResponse>

        init(eventLoop: any EventLoop) {
            self.done = eventLoop.makePromise()
        }
    }

    let shared: Shared
    let maxRetainedBodyBytes: Int

    init(maxRetainedBodyBytes: Int, eventLoop: any EventLoop) {
        self.maxRetainedBodyBytes = maxRetainedBodyBytes
        self.shared = Shared(eventLoop: eventLoop)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var ended = false
        self.shared.state.withLockedValue { state in
            switch self.unwrapInboundIn(data) {
            case .headers(let headers):
                let fields = headers.headers.map { HeaderField($0.name, $0.value) }
                if state.response.headers.isEmpty {
                    let status = Int(fields.first(named: ":status") ?? "") ?? 0
                    if status < 200 {
                        state.response.interim.append(fields)
                    } else {
                        state.response.headers = fields
                    }
                } else {
                    state.response.trailers = fields
                }
                ended = headers.endStream
            case .data(let frame):
                if case .byteBuffer(let buffer) = frame.data, buffer.readableBytes > 0 {
                    state.response.dataFrames += 1
                    buffer.withUnsafeReadableBytes { state.response.bodyDigest.update($0) }
                    let room = self.maxRetainedBodyBytes - state.response.body.count
                    if room > 0 {
                        state.response.body.append(contentsOf: buffer.readableBytesView.prefix(room))
                    }
                }
                ended = frame.endStream
            case .rstStream(let code):
                state.response.resetCode = code
                ended = true
            default:
                break
            }
        }
        if ended { self.finish() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOHTTP2Errors.StreamClosed {
            self.shared.state.withLockedValue { $0.response.resetCode = error.errorCode }
        }
        context.fireErrorCaught(error)
    }

    private func finish() {
        let response: HTTP2TestResponse? = self.shared.state.withLockedValue { state in
            guard !state.finished else { return nil }
            state.finished = true
            return state.response
        }
        if let response { self.shared.done.succeed(response) }
    }
}

/// Records connection-level frames (GOAWAY) that reach the end of the client pipeline.
final class HTTP2ConnectionEventRecorder: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame

    var goAways: [(lastStreamID: Int, code: HTTP2ErrorCode)] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        if case .goAway(let last, let code, _) = frame.payload {
            self.goAways.append((Int(last), code))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Connection errors end the connection; tests look at GOAWAY and closure.
    }
}
