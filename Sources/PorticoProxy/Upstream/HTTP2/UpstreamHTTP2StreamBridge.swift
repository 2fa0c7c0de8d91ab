import NIOCore
import NIOHTTP1
import NIOHTTP2
import PorticoCore

/// The first handler of an upstream HTTP/2 stream channel, below an `UpstreamHandler`:
/// request bytes written as HTTP/1.1 become HEADERS/DATA/trailers
/// (`HTTP1RequestToHTTP2`), and the response frames become HTTP/1.1 bytes
/// (`HTTP2ResponseToHTTP1`). Request and response stream independently, so a gRPC
/// bidirectional stream works: each side's frames pass as soon as they arrive.
///
/// A stream the server refuses (RST_STREAM or GOAWAY with `REFUSED_STREAM`, RFC 9113
/// §8.7: the request was not processed) before any response is reported as a connect
/// failure, which the forwarder may retry on another server for any method.
final class UpstreamHTTP2StreamBridge: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTP2Frame.FramePayload

    private var request: HTTP1RequestToHTTP2
    private var response = HTTP2ResponseToHTTP1(requestMethod: .GET)
    private var responseStarted = false
    private var requestHeadSent = false

    init(scheme: String) {
        self.request = HTTP1RequestToHTTP2(scheme: scheme)
    }

    // MARK: Request (outbound)

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = self.unwrapOutboundIn(data)
        let parts: [HTTP1RequestToHTTP2.Part]
        do {
            parts = try self.request.feed(bytes)
        } catch {
            promise?.fail(error)
            context.fireErrorCaught(UpstreamFailure.malformedResponse("request cannot be sent over HTTP/2: \(error)"))
            return
        }
        guard !parts.isEmpty else {
            promise?.succeed()
            return
        }
        for (index, part) in parts.enumerated() {
            let last = index == parts.count - 1
            let payload: HTTP2Frame.FramePayload
            switch part {
            case .headers(let fields, let endStream):
                if let method = fields.first(where: { $0.name == ":method" })?.value {
                    self.response = HTTP2ResponseToHTTP1(requestMethod: HTTPMethod(rawValue: method))
                }
                payload = .headers(.init(headers: .init(fields.map { ($0.name, $0.value) }), endStream: endStream))
            case .data(let buffer, let endStream):
                payload = .data(.init(data: .byteBuffer(buffer), endStream: endStream))
            case .trailers(let fields):
                payload = .headers(.init(headers: .init(fields.map { ($0.name, $0.value) }), endStream: true))
            }
            if case .headers(_, _) = part, !self.requestHeadSent {
                // The first HEADERS opens the stream. If that fails (the connection got a
                // GOAWAY or closed meanwhile) nothing was sent: a connect-like failure.
                self.requestHeadSent = true
                let opened = context.eventLoop.makePromise(of: Void.self)
                let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
                opened.futureResult.whenFailure { error in
                    let context = boundContext.value
                    context.fireErrorCaught(UpstreamFailure.connectFailed("cannot open an HTTP/2 stream: \(error)"))
                    context.close(promise: nil)
                }
                if last, let promise { opened.futureResult.cascade(to: promise) }
                context.write(self.wrapOutboundOut(payload), promise: opened)
            } else {
                context.write(self.wrapOutboundOut(payload), promise: last ? promise : nil)
            }
        }
    }

    // MARK: Response (inbound)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = self.unwrapInboundIn(data)
        do {
            switch payload {
            case .headers(let headers):
                let fields = headers.headers.map { HTTP2Field($0.name, $0.value) }
                let bytes = try self.response.headers(fields, endStream: headers.endStream)
                self.responseStarted = true
                if bytes.readableBytes > 0 {
                    context.fireChannelRead(self.wrapInboundOut(bytes))
                }
            case .data(let frame):
                guard case .byteBuffer(let buffer) = frame.data else { return }
                if let bytes = try self.response.data(buffer, endStream: frame.endStream) {
                    context.fireChannelRead(self.wrapInboundOut(bytes))
                }
            case .rstStream(let code):
                self.streamReset(code, context: context)
            default:
                break
            }
        } catch {
            context.fireErrorCaught(UpstreamFailure.malformedResponse("invalid HTTP/2 response: \(error)"))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let closed = error as? NIOHTTP2Errors.StreamClosed {
            self.streamReset(closed.errorCode, context: context)
            return
        }
        context.fireErrorCaught(error)
    }

    private func streamReset(_ code: HTTP2ErrorCode, context: ChannelHandlerContext) {
        if !self.responseStarted && code == .refusedStream {
            context.fireErrorCaught(UpstreamFailure.connectFailed("the server refused the HTTP/2 stream (REFUSED_STREAM)"))
        } else if !self.responseStarted {
            context.fireErrorCaught(UpstreamFailure.closedBeforeResponse)
        } else if !self.response.isComplete {
            context.fireErrorCaught(UpstreamFailure.closedMidResponse)
        }
    }
}
