import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOHPACK

/// The first handler of an HTTP/2 stream channel: it presents the stream to the
/// `DownstreamHandler` behind it as if it were an HTTP/1.1 connection carrying one
/// request, so HTTP/2 requests take exactly the HTTP/1.1 path (parser, routing, every
/// security stage, balancing, retries, access log, metrics).
///
/// Inbound, HEADERS → an HTTP/1.1 request head (`HTTP2RequestMapper`), DATA → body
/// bytes (chunked when the client sent no content-length), trailing HEADERS → the
/// chunked trailer section. Outbound, the HTTP/1.1 response bytes → HEADERS / DATA /
/// trailing HEADERS (`HTTP2ResponseTranslator`).
///
/// Backpressure needs nothing extra: `read()` passes through, so while the
/// `DownstreamHandler` holds reads (its upstream is not writable) the stream channel
/// keeps DATA frames buffered and sends no WINDOW_UPDATE, and the client stops at the
/// stream's window (RFC 9113 §5.2); the stream channel is unwritable while its send
/// window is exhausted, which pauses reading from the upstream. Other streams of the
/// connection are unaffected.
final class HTTP2StreamBridge: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTP2Frame.FramePayload

    private enum RequestState {
        case awaitingHead
        case body(HTTP2RequestMapper.BodyFraming)
        case ended
    }

    private var requestState = RequestState.awaitingHead
    private var translator = HTTP2ResponseTranslator(requestMethod: .GET)
    /// Written when the frame carrying END_STREAM is: the `DownstreamHandler` closes
    /// the stream only once its last write completed, and that write may produce no
    /// frame of its own (an empty buffer), so it completes with this one.
    private var endStreamWritten: EventLoopFuture<Void>?
    private var failed = false
    private var parts: [HTTP2ResponseTranslator.Part] = []

    init() {}

    // MARK: Inbound (request)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.failed else { return }
        switch self.unwrapInboundIn(data) {
        case .headers(let headers):
            self.receiveHeaders(headers, context: context)
        case .data(let data):
            self.receiveData(data, context: context)
        default:
            // RST_STREAM closes the channel (the DownstreamHandler tears down the
            // upstream side in channelInactive); WINDOW_UPDATE and PRIORITY are NIOHTTP2's.
            break
        }
    }

    private func receiveHeaders(_ headers: HTTP2Frame.FramePayload.Headers, context: ChannelHandlerContext) {
        let fields = headers.headers.map { (name: $0.name, value: $0.value) }
        switch self.requestState {
        case .awaitingHead:
            switch HTTP2RequestMapper.map(fields: fields, endStream: headers.endStream) {
            case .malformed:
                self.resetStream(context: context, code: .protocolError)
            case .request(let mapped):
                self.translator = HTTP2ResponseTranslator(requestMethod: HTTPMethod(rawValue: mapped.method))
                self.requestState = headers.endStream ? .ended : .body(mapped.body)
                context.fireChannelRead(self.wrapInboundOut(mapped.head))
            }
        case .body(let framing):
            // Trailers (RFC 9113 §8.1): they end the stream. A body with a content-length
            // has no HTTP/1.1 trailer section; its trailers are dropped (RFC 9110 §6.5.1).
            self.requestState = .ended
            guard headers.endStream else {
                self.resetStream(context: context, code: .protocolError)
                return
            }
            if framing == .chunked {
                var out = ByteBuffer()
                guard HTTP2RequestMapper.lastChunk(trailers: fields, into: &out) else {
                    self.resetStream(context: context, code: .protocolError)
                    return
                }
                context.fireChannelRead(self.wrapInboundOut(out))
            }
        case .ended:
            self.resetStream(context: context, code: .protocolError)
        }
    }

    private func receiveData(_ frame: HTTP2Frame.FramePayload.Data, context: ChannelHandlerContext) {
        guard case .body(let framing) = self.requestState, case .byteBuffer(let data) = frame.data else {
            self.resetStream(context: context, code: .protocolError)
            return
        }
        if frame.endStream {
            self.requestState = .ended
        }
        switch framing {
        case .chunked:
            var out = ByteBuffer()
            HTTP2RequestMapper.chunk(data, into: &out)
            if frame.endStream {
                _ = HTTP2RequestMapper.lastChunk(trailers: [], into: &out)
            }
            if out.readableBytes > 0 {
                context.fireChannelRead(self.wrapInboundOut(out))
            }
        case .contentLength, .none:
            // NIOHTTP2 has checked the DATA against the content-length (§8.1.1).
            if data.readableBytes > 0 {
                context.fireChannelRead(self.wrapInboundOut(data))
            }
        }
    }

    /// A malformed request or a response Portico cannot express: stream error
    /// (RFC 9113 §5.4.2); nothing more is read or written on this stream.
    private func resetStream(context: ChannelHandlerContext, code: HTTP2ErrorCode) {
        guard !self.failed else { return }
        self.failed = true
        context.writeAndFlush(self.wrapOutboundOut(.rstStream(code)), promise: nil)
        context.close(promise: nil)
    }

    // MARK: Outbound (response)

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !self.failed else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let bytes = self.unwrapOutboundIn(data)
        self.parts.removeAll(keepingCapacity: true)
        do {
            try self.translator.consume(bytes, into: &self.parts)
        } catch {
            promise?.fail(error)
            self.resetStream(context: context, code: .internalError)
            return
        }
        self.writeParts(context: context, promise: promise)
    }

    private func writeParts(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard !self.parts.isEmpty else {
            if let promise {
                if let written = self.endStreamWritten {
                    written.cascade(to: promise)
                } else {
                    promise.succeed()
                }
            }
            return
        }
        let last = self.parts.count - 1
        for (index, part) in self.parts.enumerated() {
            let payload: HTTP2Frame.FramePayload
            let endStream: Bool
            switch part {
            case .head(let fields, _, let end):
                var headers = HPACKHeaders()
                headers.reserveCapacity(fields.count)
                for (name, value) in fields { headers.add(name: name, value: value) }
                payload = .headers(.init(headers: headers, endStream: end))
                endStream = end
            case .data(let data, let end):
                payload = .data(.init(data: .byteBuffer(data), endStream: end))
                endStream = end
            case .trailers(let fields):
                var headers = HPACKHeaders()
                for (name, value) in fields { headers.add(name: name, value: value) }
                payload = .headers(.init(headers: headers, endStream: true))
                endStream = true
            }
            var framePromise = index == last ? promise : nil
            if endStream {
                let written = framePromise ?? context.eventLoop.makePromise(of: Void.self)
                framePromise = written
                self.endStreamWritten = written.futureResult
            }
            context.write(self.wrapOutboundOut(payload), promise: framePromise)
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if !self.failed, case (let part?, _) = self.translator.finish() {
            // A body delimited by the close: END_STREAM on an empty DATA frame.
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(self.wrapOutboundOut(Self.payload(part)), promise: written)
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in loopBound.value.close(mode: mode, promise: promise) }
            return
        }
        context.close(mode: mode, promise: promise)
    }

    private static func payload(_ part: HTTP2ResponseTranslator.Part) -> HTTP2Frame.FramePayload {
        switch part {
        case .data(let data, let end):
            return .data(.init(data: .byteBuffer(data), endStream: end))
        case .head, .trailers:
            preconditionFailure("finish() yields only DATA")
        }
    }
}
