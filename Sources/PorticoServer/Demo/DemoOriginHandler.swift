import NIOCore
import NIOHTTP1

/// Serves one ``DemoOrigin`` connection. Confined to its event loop.
final class DemoOriginHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let maxSlowMillis = 30_000
    static let maxBytes = 1 << 30
    static let maxEchoBytes = 16 << 20

    private let name: String
    private var request: HTTPRequestHead?
    private var body = ByteBuffer()
    private var bodyTooLarge = false
    /// Request body bytes seen, counted but not kept (for `/upload`).
    private var bodyByteCount = 0
    static let streamChunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 << 10)

    /// Bytes of a `/bytes` response still to write (written while the channel is writable),
    /// or `nil` when no such response is in progress.
    private var remainingStreamBytes: Int?
    private var streamKeepAlive = true

    init(name: String) { self.name = name }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
            body.clear()
            bodyTooLarge = false
            bodyByteCount = 0
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
            }
        case .body(var chunk):
            bodyByteCount += chunk.readableBytes
            if body.readableBytes + chunk.readableBytes > Self.maxEchoBytes { bodyTooLarge = true } else { body.writeBuffer(&chunk) }
        case .end:
            guard let head = request else { return }
            request = nil
            route(head, context: context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { pumpBytes(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        remainingStreamBytes = nil
        context.fireChannelInactive()
    }

    private func route(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let (path, query) = Self.splitURI(head.uri)
        switch path {
        case "/":
            var text = "Hello from \(name)\n\n\(head.method.rawValue) \(head.uri) \(head.version)\n"
            for header in head.headers { text += "\(header.name): \(header.value)\n" }
            respond(.ok, text, head: head, context: context)
        case "/healthz":
            respond(.ok, "ok\n", head: head, context: context)
        case "/slow":
            let ms = min(max(Int(query["ms"] ?? "") ?? 1000, 0), Self.maxSlowMillis)
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(Int64(ms))) {
                let (handler, context) = loopBound.value
                guard context.channel.isActive else { return }
                handler.respond(.ok, "\(handler.name) waited \(ms) ms\n", head: head, context: context)
            }
        case "/bytes":
            let count = min(max(Int(query["n"] ?? "") ?? 1024, 0), Self.maxBytes)
            var response = HTTPResponseHead(version: .http1_1, status: .ok)
            response.headers.add(name: "Content-Type", value: "application/octet-stream")
            response.headers.add(name: "Content-Length", value: "\(count)")
            if !head.isKeepAlive { response.headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            remainingStreamBytes = head.method == .HEAD ? 0 : count
            streamKeepAlive = head.isKeepAlive
            pumpBytes(context: context)
        case _ where path.hasPrefix("/cached/"):
            // Cacheable and compressible: the demo's `cached` route shows hits (`Age`,
            // `Cache-Status`) and compression; the body names the origin that made it.
            var text = "Cached page \(path) made by \(name)\n"
            for line in 1...80 { text += "Line \(line) of a compressible page served through Portico's cache.\n" }
            var response = HTTPResponseHead(version: .http1_1, status: .ok)
            response.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            response.headers.add(name: "Cache-Control", value: "max-age=10, stale-while-revalidate=30")
            response.headers.add(name: "ETag", value: "\"\(name)-\(path.utf8.count)\"")
            let body = ByteBuffer(string: text)
            response.headers.add(name: "Content-Length", value: "\(body.readableBytes)")
            if !head.isKeepAlive { response.headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
            end(keepAlive: head.isKeepAlive, context: context)
        case "/upload":
            respond(.ok, "\(name) received \(bodyByteCount) bytes\n", head: head, context: context)
        case "/echo":
            if bodyTooLarge {
                respond(.payloadTooLarge, "echo body limit is \(Self.maxEchoBytes) bytes\n", head: head, context: context)
            } else {
                respond(.ok, body, contentType: "application/octet-stream", head: head, context: context)
            }
        case _ where path.hasPrefix("/status/"):
            guard let code = Int(path.dropFirst("/status/".count)), (200...599).contains(code) else {
                return respond(.badRequest, "status must be 200...599\n", head: head, context: context)
            }
            let status = HTTPResponseStatus(statusCode: code)
            let hasBody = code != 204 && code != 304
            respond(status, hasBody ? "\(code) \(status.reasonPhrase)\n" : "", head: head, context: context)
        default:
            respond(.notFound, "no route for \(path) on \(name)\n", head: head, context: context)
        }
    }

    private func respond(_ status: HTTPResponseStatus, _ text: String, head: HTTPRequestHead, context: ChannelHandlerContext) {
        respond(status, ByteBuffer(string: text), contentType: "text/plain; charset=utf-8", head: head, context: context)
    }

    private func respond(
        _ status: HTTPResponseStatus, _ body: ByteBuffer, contentType: String, head: HTTPRequestHead,
        context: ChannelHandlerContext
    ) {
        var response = HTTPResponseHead(version: .http1_1, status: status)
        response.headers.add(name: "Server", value: "portico-demo-origin")
        if status != .noContent && status != .notModified {
            response.headers.add(name: "Content-Type", value: contentType)
            response.headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        }
        if !head.isKeepAlive { response.headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        if body.readableBytes > 0 && head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        end(keepAlive: head.isKeepAlive, context: context)
    }

    private func end(keepAlive: Bool, context: ChannelHandlerContext) {
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    /// Writes generated 64 KiB chunks while the channel is writable, then ends the response.
    private func pumpBytes(context: ChannelHandlerContext) {
        guard var remaining = remainingStreamBytes else { return }
        while context.channel.isWritable && remaining > 0 {
            let length = min(Self.streamChunk.readableBytes, remaining)
            remaining -= length
            context.write(wrapOutboundOut(.body(.byteBuffer(Self.streamChunk.getSlice(at: 0, length: length)!))), promise: nil)
        }
        if remaining > 0 {
            remainingStreamBytes = remaining
            context.flush()
        } else {
            remainingStreamBytes = nil
            end(keepAlive: streamKeepAlive, context: context)
        }
    }

    /// Splits `/path?a=1&b=2` into the path and its query parameters.
    private static func splitURI(_ uri: String) -> (path: String, query: [String: String]) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
            }
        }
        return (String(parts[0]), query)
    }
}
