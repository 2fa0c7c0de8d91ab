import Foundation
import NIOCore
import NIOHTTP1

/// Serves one ``TestOrigin`` connection: reads each request to its end, records it, and
/// carries out the ``OriginResponse`` the behavior chooses. Confined to its event loop.
final class TestOriginHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The request being read.
    private struct InFlight {
        var head: HTTPRequestHead
        var body: [UInt8] = []
        var digest = BodyDigest()
        /// Answered at the head (`X-Test-Respond-Early`), before the body was read.
        var answeredEarly = false
    }

    /// A generated body being written as writability allows.
    private struct Stream {
        var offset: Int
        let count: Int
        let chunkSize: Int
        let template: ByteBuffer
        let keepAlive: Bool
    }

    private let connectionID: Int
    private let behavior: @Sendable (RecordedRequest) -> OriginResponse
    private let record: @Sendable (RecordedRequest) -> Void
    private var inFlight: InFlight?
    private var stream: Stream?
    private var requestsOnConnection = 0

    init(
        connectionID: Int,
        behavior: @escaping @Sendable (RecordedRequest) -> OriginResponse,
        record: @escaping @Sendable (RecordedRequest) -> Void
    ) {
        self.connectionID = connectionID
        self.behavior = behavior
        self.record = record
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            inFlight = InFlight(head: head)
            if head.headers.contains(name: "x-test-respond-early") {
                // Answer before reading the body (RFC 9110 §15.5.14 allows it), then keep
                // reading and dropping the body so the connection stays usable, as nginx does.
                inFlight?.answeredEarly = true
                var response = HTTPResponseHead(version: .http1_1, status: .ok)
                response.headers.add(name: "Content-Length", value: "5")
                context.write(wrapOutboundOut(.head(response)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "early")))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                return
            }
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
            }
        case .body(let buffer):
            guard inFlight != nil else { return }
            buffer.withUnsafeReadableBytes { bytes in
                inFlight!.digest.update(bytes)
                let room = TestOrigin.maxRetainedBodyBytes - inFlight!.body.count
                if room > 0 { inFlight!.body.append(contentsOf: bytes.prefix(room)) }
            }
        case .end(let trailers):
            guard let request = inFlight else { return }
            inFlight = nil
            let recorded = RecordedRequest(
                method: request.head.method.rawValue,
                uri: request.head.uri,
                version: request.head.version.description,
                headers: request.head.headers.map { HeaderField($0.name, $0.value) },
                body: request.body,
                bodyDigest: request.digest,
                trailers: trailers?.map { HeaderField($0.name, $0.value) } ?? [],
                connectionID: connectionID,
                indexOnConnection: requestsOnConnection
            )
            requestsOnConnection += 1
            record(recorded)
            if request.answeredEarly { return }
            let isHead = request.head.method == .HEAD
            perform(behavior(recorded), for: recorded, isHead: isHead, keepAlive: request.head.isKeepAlive, context: context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { pumpStream(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stream = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: - Responses

    private func perform(
        _ response: OriginResponse, for request: RecordedRequest, isHead: Bool, keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        switch response {
        case .ok:
            sendFull(status: 200, headers: [("Content-Type", "text/plain")], body: Array("ok".utf8), isHead: isHead, keepAlive: keepAlive, context: context)
        case .respond(let status, let headers, let body):
            sendFull(status: status, headers: headers, body: body, isHead: isHead, keepAlive: keepAlive, context: context)
        case .echo:
            sendFull(status: 200, headers: [("Content-Type", "application/json")], body: Self.echoBody(request), isHead: isHead, keepAlive: keepAlive, context: context)
        case .delayHead(let delay, let then):
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: TimeAmount(delay)) {
                let (handler, context) = loopBound.value
                guard context.channel.isActive else { return }
                handler.perform(then, for: request, isHead: isHead, keepAlive: keepAlive, context: context)
            }
        case .streamBytes(let count, let chunkSize, let chunked):
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            head.headers.add(name: "Content-Type", value: "application/octet-stream")
            head.headers.add(name: chunked ? "Transfer-Encoding" : "Content-Length", value: chunked ? "chunked" : "\(count)")
            if !keepAlive { head.headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            let size = max(1, chunkSize)
            var template = context.channel.allocator.buffer(capacity: size + 256)
            for i in 0..<(size + 256) { template.writeInteger(GeneratedBody.byte(at: i)) }
            stream = Stream(offset: 0, count: isHead ? 0 : count, chunkSize: size, template: template, keepAlive: keepAlive)
            pumpStream(context: context)
        case .closeBeforeResponse:
            context.close(promise: nil)
        case .resetBeforeResponse:
            let channel = context.channel
            guard let provider = channel as? any SocketOptionProvider else {
                channel.close(promise: nil)
                return
            }
            provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in
                channel.close(promise: nil)
            }
        case .closeMidBody(let declaredLength, let sentBytes), .stallMidBody(let declaredLength, let sentBytes):
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            head.headers.add(name: "Content-Length", value: "\(declaredLength)")
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            let body = context.channel.allocator.buffer(bytes: GeneratedBody.bytes(count: sentBytes))
            let channel = context.channel
            let closes = if case .closeMidBody = response { true } else { false }
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(body)))).whenComplete { _ in
                if closes { channel.close(promise: nil) }
            }
        case .raw(let bytes):
            let channel = context.channel
            guard let tap = try? context.pipeline.syncOperations.context(handlerType: RawWriteTap.self) else {
                channel.close(promise: nil)
                return
            }
            tap.writeAndFlush(NIOAny(channel.allocator.buffer(bytes: bytes))).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }

    /// Writes a complete response; closes afterwards unless the request allowed keep-alive.
    private func sendFull(
        status: Int, headers: [(String, String)], body: [UInt8], isHead: Bool, keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        var head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status))
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        let bodyAllowed = status >= 200 && status != 204 && status != 304
        if bodyAllowed && !head.headers.contains(name: "content-length") && !head.headers.contains(name: "transfer-encoding") {
            head.headers.add(name: "Content-Length", value: "\(body.count)")
        }
        if !keepAlive && !head.headers.contains(name: "connection") { head.headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if bodyAllowed && !isHead && !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        finish(keepAlive: keepAlive, context: context)
    }

    /// Writes `.end`, then closes the connection if it is not to be kept alive.
    private func finish(keepAlive: Bool, context: ChannelHandlerContext) {
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    /// Writes generated chunks while the channel is writable; resumes on writability change.
    private func pumpStream(context: ChannelHandlerContext) {
        guard var current = stream else { return }
        while context.channel.isWritable && current.offset < current.count {
            let length = min(current.chunkSize, current.count - current.offset)
            let slice = current.template.getSlice(at: current.offset & 0xFF, length: length)!
            current.offset += length
            context.write(wrapOutboundOut(.body(.byteBuffer(slice))), promise: nil)
        }
        if current.offset < current.count {
            stream = current
            context.flush()
        } else {
            stream = nil
            finish(keepAlive: current.keepAlive, context: context)
        }
    }

    private static func echoBody(_ request: RecordedRequest) -> [UInt8] {
        let payload = EchoPayload(
            method: request.method,
            uri: request.uri,
            version: request.version,
            headers: request.headers.map { EchoPayload.Header(name: $0.name, value: $0.value) },
            body: request.bodyString,
            bodyByteCount: request.bodyByteCount
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(payload)) ?? Data())
    }
}
