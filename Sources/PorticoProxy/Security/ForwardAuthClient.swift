import NIOCore
import NIOPosix
import PorticoCore

/// Forward authentication (Traefik's `forwardAuth`, nginx's `auth_request`): before a
/// request goes upstream, its method, URI and headers are sent to an auth service. A
/// 2xx answer lets the request through, with the configured headers copied from the
/// answer; any other answer goes back to the client as it is (status, a safe subset of
/// headers, and body), so the service can redirect to a login page or say 401/403.
///
/// The request to the auth service is `GET <url path>` with the client's header fields
/// (hop-by-hop fields and the body left out) plus `X-Forwarded-Method`,
/// `X-Forwarded-Uri`, `X-Forwarded-Host`, `X-Forwarded-For`, on a fresh connection
/// closed after the answer.
enum ForwardAuthClient {
    /// Largest answer read from the auth service.
    static let maxResponseBytes = 64 * 1024
    /// Fields of a non-2xx answer passed to the client.
    static let relayedFields: Set<String> = [
        "content-type", "www-authenticate", "location", "set-cookie", "cache-control", "retry-after",
    ]

    static func check(
        config: ForwardAuthConfig,
        head: ParsedRequestHead,
        clientIP: String,
        eventLoop: any EventLoop,
        completion: @escaping @Sendable (RouteAuthenticator.Outcome) -> Void
    ) {
        let request = Self.makeRequest(config: config, head: head, clientIP: clientIP)
        let collector = NIOLoopBound(ResponseCollector(limit: Self.maxResponseBytes), eventLoop: eventLoop)
        let timeout = TimeAmount(config.timeout)
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(collector.value)
                }
            }
            .connect(host: config.url.address.host, port: config.url.address.port)
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    // Unreachable: 502; no connection within `timeout`: 504 (docs/configuration.md).
                    let timedOut = (error as? ChannelError).map { if case .connectTimeout = $0 { true } else { false } } ?? false
                    completion(.deny(status: timedOut ? 504 : 502, fields: []))
                case .success(let channel):
                    let deadline = eventLoop.scheduleTask(in: timeout) {
                        collector.value.timedOut = true
                        channel.close(promise: nil)
                    }
                    channel.writeAndFlush(request, promise: nil)
                    channel.closeFuture.whenComplete { _ in
                        deadline.cancel()
                        if collector.value.timedOut {
                            completion(.deny(status: 504, fields: []))
                        } else {
                            completion(Self.decide(collector.value.bytes, config: config))
                        }
                    }
                }
            }
    }

    static func makeRequest(config: ForwardAuthConfig, head: ParsedRequestHead, clientIP: String) -> ByteBuffer {
        var out = ByteBuffer()
        out.writeString("GET \(config.url.target) HTTP/1.1\r\nHost: \(config.url.address)\r\n")
        for index in head.fields.indices {
            let name = String(decoding: head.name(at: index), as: UTF8.self)
            switch name.lowercased() {
            case "host", "connection", "keep-alive", "te", "transfer-encoding", "upgrade", "content-length",
                "expect", "proxy-connection", "x-forwarded-method", "x-forwarded-uri", "x-forwarded-host",
                "x-forwarded-for":
                continue
            default:
                out.writeString(name)
                out.writeStaticString(": ")
                out.writeBytes(head.value(at: index))
                out.writeStaticString("\r\n")
            }
        }
        out.writeString("X-Forwarded-Method: \(head.method.rawValue)\r\n")
        out.writeString("X-Forwarded-Uri: \(head.target)\r\n")
        if let host = head.hostValue {
            out.writeStaticString("X-Forwarded-Host: ")
            out.writeBytes(host)
            out.writeStaticString("\r\n")
        }
        out.writeString("X-Forwarded-For: \(clientIP)\r\nConnection: close\r\n\r\n")
        return out
    }

    /// Judges the auth service's complete answer.
    static func decide(_ bytes: ByteBuffer, config: ForwardAuthConfig) -> RouteAuthenticator.Outcome {
        var buffer = bytes
        var parser = HTTP1ResponseHeadParser()
        guard case .complete(let head) = parser.parse(&buffer) else {
            return .deny(status: 502, fields: [])  // no usable answer: fail closed
        }
        if (200...299).contains(head.status) {
            var copied: [(String, String)] = []
            let wanted = Set(config.copyHeaders.map { $0.lowercased() })
            for (name, value) in head.makeHeaderList() where wanted.contains(name.lowercased()) {
                copied.append((name, value))
            }
            return .allow(copied)
        }
        var fields: [(String, String)] = []
        for (name, value) in head.makeHeaderList() where Self.relayedFields.contains(name.lowercased()) {
            fields.append((name, value))
        }
        var body = ByteBuffer()
        switch head.framing(forRequestMethod: .GET) ?? .untilClose {
        case .contentLength(let length):
            body = buffer.readSlice(length: min(length, buffer.readableBytes)) ?? ByteBuffer()
        case .chunked:
            var scanner = ChunkedScanner(mode: .decode)
            decoding: while true {
                switch scanner.scan(&buffer) {
                case .data(var data): body.writeBuffer(&data)
                case .needMoreData, .end, .error: break decoding
                }
            }
        default:
            body = buffer
        }
        return .relay(status: head.status, fields: fields, body: body)
    }

    /// Whether `bytes` hold a whole response (so a service that ignores `Connection:
    /// close` does not keep the request waiting until the timeout).
    static func isComplete(_ bytes: ByteBuffer) -> Bool {
        var buffer = bytes
        var parser = HTTP1ResponseHeadParser()
        guard case .complete(let head) = parser.parse(&buffer) else { return false }
        guard let framing = head.framing(forRequestMethod: .GET) else { return true }
        switch framing {
        case .none: return true
        case .contentLength(let length): return buffer.readableBytes >= length
        case .chunked:
            var scanner = ChunkedScanner(mode: .validate)
            while true {
                switch scanner.scanRaw(&buffer).1 {
                case .end: return true
                case .error: return true
                case .needMoreData: return false
                case .data: continue
                }
            }
        default: return false
        }
    }

    /// Collects everything the auth service sends until it closes (it was asked to).
    final class ResponseCollector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var bytes = ByteBuffer()
        let limit: Int
        /// The deadline closed the connection before a complete answer.
        var timedOut = false

        init(limit: Int) { self.limit = limit }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var chunk = self.unwrapInboundIn(data)
            self.bytes.writeBuffer(&chunk)
            if self.bytes.readableBytes > self.limit || ForwardAuthClient.isComplete(self.bytes) {
                context.close(promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
