import NIOCore
import PorticoCompression
import PorticoCore

/// On-the-fly compression of forwarded responses (docs/compression.md).
extension DownstreamHandler {
    /// What compressing a response changes in its head and body.
    struct CompressionPlan {
        /// Nil when the response is eligible but the client takes none of the codings
        /// (then only `Vary: Accept-Encoding` is added).
        var encoder: (any ContentEncoder)?
        /// Lower-case field names left out of the forwarded head.
        var dropped: [[UInt8]] = []
        /// Field lines added instead.
        var lines: [String] = []
    }

    /// Decides on compression for a forwarded response: nil when the route does not
    /// compress or the response is not eligible (type, size, status, already encoded,
    /// `no-transform`, HEAD).
    func compressionPlan(_ exchange: Exchange, head: ParsedResponseHead, framing: ResponseFraming) -> CompressionPlan? {
        guard let config = exchange.route?.compression else { return nil }
        var contentLength: Int?
        if case .contentLength(let length) = framing { contentLength = length }
        if framing == .none { return nil }
        guard
            CompressionEligibility.shouldCompress(
                status: head.status,
                isHEAD: exchange.method == .HEAD,
                contentType: Self.combinedValue(of: head, named: "content-type"),
                contentEncoding: Self.combinedValue(of: head, named: "content-encoding"),
                cacheControl: Self.combinedValue(of: head, named: "cache-control"),
                contentLength: contentLength,
                config: config
            )
        else { return nil }
        var plan = CompressionPlan()
        // RFC 9110 §12.5.5: the choice depends on Accept-Encoding, whatever this client sent.
        plan.dropped.append(Array("vary".utf8))
        plan.lines.append("Vary: " + VaryField.addingAcceptEncoding(to: Self.combinedValue(of: head, named: "vary")))
        let acceptEncoding = Self.combinedValue(of: exchange.head, named: "accept-encoding")
        guard exchange.head.fieldIndex(named: "range") == nil,
            let coding = ContentNegotiation.choose(acceptEncoding: acceptEncoding, offered: config.algorithms),
            let encoder = try? ContentEncoders.make(coding, config: config)
        else { return plan }
        plan.encoder = encoder
        plan.dropped.append(contentsOf: [Array("content-length".utf8), Array("etag".utf8), Array("accept-ranges".utf8)])
        plan.lines.append("Content-Encoding: " + coding.rawValue)
        if let etag = Self.combinedValue(of: head, named: "etag") {
            // RFC 9110 §8.8.3: another representation, not byte-identical: a weak validator.
            plan.lines.append("ETag: " + ETagWeakening.weaken(etag))
        }
        return plan
    }

    /// Every line of `name` joined with ", ", or nil.
    static func combinedValue<Head: HTTP1ParsedHead>(of head: Head, named name: StaticString) -> String? {
        var result: String?
        var start = 0
        while let index = head.fieldIndex(named: name, from: start) {
            let value = String(decoding: head.value(at: index), as: UTF8.self)
            result = result.map { $0 + ", " + value } ?? value
            start = index + 1
        }
        return result
    }

    /// Sends compressed output; a failing encoder ends the response by closing the
    /// connection (nothing better is possible once the head went out, RFC 9112 §8).
    func writeCompressed(_ exchange: Exchange, _ transform: ResponseBodyTransform, pieces: [ByteBuffer]) {
        guard let context = self.context else { return }
        do {
            if let output = try transform.encode(pieces) {
                exchange.bytesSent += output.readableBytes
                context.write(self.wrapOutboundOut(output), promise: nil)
            }
        } catch {
            self.compressionFailed(exchange)
        }
    }

    func flushCompressed(_ exchange: Exchange, _ transform: ResponseBodyTransform) {
        guard let context = self.context else { return }
        do {
            if let output = try transform.flush() {
                exchange.bytesSent += output.readableBytes
                context.write(self.wrapOutboundOut(output), promise: nil)
            }
        } catch {
            self.compressionFailed(exchange)
        }
    }

    func finishCompressed(_ exchange: Exchange, _ transform: ResponseBodyTransform) {
        guard let context = self.context else { return }
        do {
            let output = try transform.finish()
            exchange.bytesSent += output.readableBytes
            context.write(self.wrapOutboundOut(output), promise: nil)
        } catch {
            self.compressionFailed(exchange)
        }
    }

    private func compressionFailed(_ exchange: Exchange) {
        exchange.closeAfterResponse = true
        exchange.bodyTransform = nil
        self.abandonUpstream(exchange)
        self.context?.close(promise: nil)
    }
}
