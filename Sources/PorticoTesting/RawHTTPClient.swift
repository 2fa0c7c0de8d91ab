import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A plain TCP client for tests that must send exact bytes and see exactly what comes back.
///
/// ```swift
/// let client = try await RawHTTPClient.connect(port: proxy.port)
/// try await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
/// let first = try await client.readResponse()
/// let second = try await client.readResponse()
/// ```
///
/// Reads parse from a single receive buffer, so bytes after one response stay there for the
/// next read. Every read has a timeout and throws ``RawHTTPClientError`` when it expires.
/// One read at a time per client.
public final class RawHTTPClient: Sendable {
    private let channel: any Channel
    private let handler: NIOLoopBound<RawHTTPClientHandler>
    private let closed: NIOLockedValueBox<Bool>
    /// Body bytes kept in ``RawResponse/body`` (the digest always covers the whole body).
    public let maxRetainedBodyBytes: Int

    private init(channel: any Channel, handler: NIOLoopBound<RawHTTPClientHandler>, closed: NIOLockedValueBox<Bool>, maxRetainedBodyBytes: Int) {
        self.channel = channel
        self.handler = handler
        self.closed = closed
        self.maxRetainedBodyBytes = maxRetainedBodyBytes
    }

    /// Opens a TCP connection to `host:port`.
    public static func connect(
        host: String = "127.0.0.1",
        port: Int,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        connectTimeout: Duration = .seconds(10),
        maxRetainedBodyBytes: Int = 64 << 20
    ) async throws -> RawHTTPClient {
        let closed = NIOLockedValueBox(false)
        let added = NIOLockedValueBox<NIOLoopBound<RawHTTPClientHandler>?>(nil)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Kept here, not looked up after connecting: a server that closes at
                    // once (a timeout test on a loaded machine) empties the pipeline first.
                    let handler = RawHTTPClientHandler(closedFlag: closed)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    added.withLockedValue { $0 = NIOLoopBound(handler, eventLoop: channel.eventLoop) }
                }
            }
            .connect(host: host, port: port)
            .get()
        guard let handler = added.withLockedValue({ $0 }) else { throw ChannelError.ioOnClosedChannel }
        return RawHTTPClient(channel: channel, handler: handler, closed: closed, maxRetainedBodyBytes: maxRetainedBodyBytes)
    }

    /// The local (client-side) port of the connection.
    public var localPort: Int? { channel.localAddress?.port }

    /// Whether the connection has been closed (by either side) as far as seen so far.
    public var isClosed: Bool { closed.withLockedValue { $0 } }

    /// Writes `text` (UTF-8) exactly as given.
    public func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// Writes `bytes` exactly as given.
    public func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    }

    /// Reads exactly one response, leaving any bytes after it for the next read.
    ///
    /// - Parameters:
    ///   - requestWasHead: the request was `HEAD`, so the response has no body.
    ///   - returnInformational: return a 1xx response (e.g. `100 Continue`) instead of skipping it.
    public func readResponse(
        timeout: Duration = .seconds(10), requestWasHead: Bool = false, returnInformational: Bool = false
    ) async throws -> RawResponse {
        let options = RawResponseParser.Options(
            requestWasHead: requestWasHead, returnInformational: returnInformational, maxRetainedBodyBytes: maxRetainedBodyBytes
        )
        let promise = channel.eventLoop.makePromise(of: RawResponse.self)
        let eventLoop = channel.eventLoop
        eventLoop.execute { [handler] in
            handler.value.startRead(.response(RawResponseParser(options: options), promise), timeout: timeout, on: eventLoop)
        }
        return try await promise.futureResult.get()
    }

    /// Reads every byte until the peer closes the connection (by FIN or RST).
    public func readUntilClose(timeout: Duration = .seconds(10)) async throws -> [UInt8] {
        let promise = channel.eventLoop.makePromise(of: [UInt8].self)
        let eventLoop = channel.eventLoop
        eventLoop.execute { [handler] in
            handler.value.startRead(.untilClose(promise), timeout: timeout, on: eventLoop)
        }
        return try await promise.futureResult.get()
    }

    /// Reads raw bytes up to and including the first occurrence of `marker` (consuming
    /// them) and returns them as text, for tests of streamed responses (a gRPC-style
    /// bidirectional stream reads each echo before sending the next message).
    public func readUntil(_ marker: String, timeout: Duration = .seconds(10)) async throws -> String {
        let promise = channel.eventLoop.makePromise(of: [UInt8].self)
        let eventLoop = channel.eventLoop
        let bytes = Array(marker.utf8)
        eventLoop.execute { [handler] in
            handler.value.startRead(.untilMarker(bytes, promise), timeout: timeout, on: eventLoop)
        }
        return String(decoding: try await promise.futureResult.get(), as: UTF8.self)
    }

    /// Waits up to `timeout` for the connection to close; returns whether it did.
    /// Unlike the reads, this does not consume buffered bytes.
    public func waitForClose(timeout: Duration = .seconds(10)) async -> Bool {
        let closeFuture = channel.closeFuture
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {}
        let promise = channel.eventLoop.makePromise(of: Bool.self)
        closeFuture.whenComplete { _ in
            timer.cancel()
            promise.succeed(true)
        }
        timer.futureResult.whenSuccess { promise.succeed(false) }
        return (try? await promise.futureResult.get()) ?? true
    }

    /// Closes the connection (no error if it is already closed).
    public func close() async {
        try? await channel.close()
    }
}

/// Buffers inbound bytes and completes the pending read when it can. Event-loop confined.
final class RawHTTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    enum Read {
        case response(RawResponseParser, EventLoopPromise<RawResponse>)
        case untilClose(EventLoopPromise<[UInt8]>)
        case untilMarker([UInt8], EventLoopPromise<[UInt8]>)

        func fail(_ error: any Error) {
            switch self {
            case .response(_, let promise): promise.fail(error)
            case .untilClose(let promise): promise.fail(error)
            case .untilMarker(_, let promise): promise.fail(error)
            }
        }
    }

    private let closedFlag: NIOLockedValueBox<Bool>
    private var buffer = ByteBuffer()
    private var eof = false
    private var pending: (read: Read, timer: Scheduled<Void>)?

    init(closedFlag: NIOLockedValueBox<Bool>) { self.closedFlag = closedFlag }

    /// Starts `read`; must be called on `eventLoop`.
    func startRead(_ read: Read, timeout: Duration, on eventLoop: any EventLoop) {
        guard pending == nil else { return read.fail(RawHTTPClientError.concurrentRead) }
        let timer = eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
            guard let (read, _) = pending else { return }
            pending = nil
            let operation: String
            switch read {
            case .response(let parser, _):
                operation = parser.partialStatus.map { "reading body of \($0) response (\(parser.partialBodyBytes) body bytes so far)" } ?? "reading response head"
            case .untilClose:
                operation = "waiting for the connection to close"
            case .untilMarker(let marker, _):
                operation = "waiting for \(String(decoding: marker, as: UTF8.self).debugDescription)"
            }
            read.fail(RawHTTPClientError.timeout(operation: operation, after: timeout, bufferedBytes: buffer.readableBytes))
        }
        pending = (read, timer)
        progress()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        progress()
    }

    func channelInactive(context: ChannelHandlerContext) {
        eof = true
        closedFlag.withLockedValue { $0 = true }
        progress()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Typically ECONNRESET: treat like EOF (channelInactive follows the close).
        context.close(promise: nil)
    }

    /// Advances the pending read with whatever is buffered.
    private func progress() {
        guard let (read, timer) = pending else { return }
        switch read {
        case .response(var parser, let promise):
            do {
                if let response = try parser.parse(&buffer, eof: eof) {
                    finish(timer) { promise.succeed(response) }
                } else if eof {
                    let error = RawHTTPClientError.closedBeforeResponseComplete(
                        status: parser.partialStatus, bodyBytesReceived: parser.partialBodyBytes, bufferedBytes: buffer.readableBytes
                    )
                    finish(timer) { promise.fail(error) }
                } else {
                    pending = (.response(parser, promise), timer)
                }
            } catch {
                finish(timer) { promise.fail(error) }
            }
            if buffer.readerIndex > 1 << 20 { buffer.discardReadBytes() }
        case .untilMarker(let marker, let promise):
            let view = buffer.readableBytesView
            if let range = view.firstRange(of: marker) {
                let count = range.upperBound - view.startIndex
                let bytes = buffer.readBytes(length: count) ?? []
                finish(timer) { promise.succeed(bytes) }
            } else if eof {
                finish(timer) { promise.fail(RawHTTPClientError.closedBeforeResponseComplete(status: nil, bodyBytesReceived: 0, bufferedBytes: buffer.readableBytes)) }
            }
        case .untilClose(let promise):
            guard eof else { return }
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            finish(timer) { promise.succeed(bytes) }
        }
    }

    private func finish(_ timer: Scheduled<Void>, _ complete: () -> Void) {
        pending = nil
        timer.cancel()
        complete()
    }
}
