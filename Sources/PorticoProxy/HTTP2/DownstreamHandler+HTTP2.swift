import NIOCore
import PorticoCore

/// The client of an HTTP/2 connection, as each of its streams' `DownstreamHandler`
/// sees it: fixed for the connection (the TCP peer, or the PROXY protocol source).
struct HTTP2StreamPeer: Sendable {
    var clientAddress: String
    var peerIP: IPAddress?

    /// The protocol the access log shows for requests on HTTP/2 streams (the bridge
    /// hands the `DownstreamHandler` HTTP/1.1 bytes, but the client spoke HTTP/2).
    static let logVersion = "HTTP/2.0"
}

/// The two ways a `DownstreamHandler` meets HTTP/2: as the handler of one stream
/// (stream mode), and, on a plain listener with `http2.cleartext`, as the first handler
/// of a connection whose client opens with the HTTP/2 preface (h2c prior knowledge).
extension DownstreamHandler {
    /// Stream mode: no admission, no registration, no PROXY header (the connection did
    /// them once); the header timeout runs as for a new connection.
    func streamBecameActive(_ stream: HTTP2StreamPeer) {
        self.clientAddress = stream.clientAddress
        self.peerIP = stream.peerIP
        if self.listener.tlsPolicy.clientSubjectHeader != nil, let context = self.context {
            // The TLS handler sits on the connection, the stream's parent channel.
            self.tlsClientSubject = Self.peerCertificateSubject(of: context.channel)
        }
        self.timerPurpose = .awaitingHead
        self.timer?.arm(self.settings.clientHeaderTimeout)
    }

    /// Before the first request of a plain connection on a listener with
    /// `http2.cleartext: true`: is it the HTTP/2 client connection preface (RFC 9113
    /// §3.4)? Returns true when HTTP/1.1 parsing should go on (not a preface), false
    /// when more bytes are needed to tell, or when the connection was handed to HTTP/2.
    func detectHTTP2Preface() -> Bool {
        switch HTTP2Preface.match(self.inbound) {
        case .mismatch:
            return true
        case .partial:
            return false
        case .match:
            self.switchToHTTP2()
            return false
        }
    }

    /// Hands the connection to HTTP/2: the HTTP/2 handlers take this handler's place
    /// (with its admission slots, its registration with the worker and the client's
    /// address), and the bytes received so far, preface included, go to them.
    private func switchToHTTP2() {
        guard let context = self.context else { return }
        var bytes = self.inbound
        self.inbound = Self.emptyBuffer
        self.isClosing = true
        self.timerPurpose = .none
        self.timer?.cancel()
        self.cancelSecondaryTimers()
        let connection = HTTP2ConnectionHandler(
            worker: self.worker,
            listener: self.listener,
            scheme: self.scheme,
            peer: HTTP2StreamPeer(clientAddress: self.clientAddress, peerIP: self.peerIP),
            admission: self.admission.take()
        )
        if self.isRegistered {
            self.isRegistered = false
            self.worker.handOver(from: self, to: connection)
            connection.isRegistered = true
        }
        do {
            try DownstreamPipeline.addHTTP2Handlers(
                to: context.channel,
                connection: connection,
                position: .after(self)
            )
            let pipeline = context.pipeline.syncOperations
            context.fireChannelRead(NIOAny(bytes))
            bytes = ByteBuffer()
            pipeline.removeHandler(context: context, promise: nil)
        } catch {
            context.close(promise: nil)
        }
    }
}

/// The HTTP/2 client connection preface (RFC 9113 §3.4).
enum HTTP2Preface {
    static let bytes: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    enum Match: Equatable {
        /// The bytes so far are a proper prefix of the preface.
        case partial
        case match
        case mismatch
    }

    static func match(_ buffer: ByteBuffer) -> Match {
        let count = min(buffer.readableBytes, Self.bytes.count)
        let matches = buffer.withUnsafeReadableBytes { raw in
            for index in 0..<count where raw[index] != Self.bytes[index] { return false }
            return true
        }
        guard matches else { return .mismatch }
        return count == Self.bytes.count ? .match : .partial
    }
}
extension DownstreamHandler: RemovableChannelHandler {}
