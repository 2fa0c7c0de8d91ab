import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import X509

/// A TLS client for tests: sets SNI, ALPN, the protocol version range and a client
/// certificate, reports what the server presented (certificate, version, ALPN), and
/// then speaks raw HTTP/1.1 like ``RawHTTPClient``.
///
/// ```swift
/// let client = try await TLSTestClient.connect(port: proxy.port, serverName: "a.test")
/// #expect(client.peerCertificate?.subject.description == "CN=a.test")
/// let response = try await client.roundTrip("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
/// ```
///
/// The server's certificate is not verified (tests inspect it instead). `connect`
/// throws when the handshake fails. With TLS 1.3 a server that refuses the client's
/// certificate does so after the client considers the handshake done: the refusal then
/// shows as the connection closing on the first read.
public final class TLSTestClient: Sendable {
    public struct Options: Sendable {
        /// SNI; nil sends none.
        public var serverName: String?
        public var alpn: [String] = ["http/1.1"]
        public var minimumVersion: TLSVersion = .tlsv1
        public var maximumVersion: TLSVersion? = nil
        /// Client certificate (leaf first) and key, PEM.
        public var certificate: TestCertificate? = nil

        public init(serverName: String? = nil, alpn: [String] = ["http/1.1"], minimumVersion: TLSVersion = .tlsv1, maximumVersion: TLSVersion? = nil, certificate: TestCertificate? = nil) {
            self.serverName = serverName
            self.alpn = alpn
            self.minimumVersion = minimumVersion
            self.maximumVersion = maximumVersion
            self.certificate = certificate
        }
    }

    private let channel: any Channel
    private let handler: NIOLoopBound<RawHTTPClientHandler>
    private let closed: NIOLockedValueBox<Bool>
    /// The leaf certificate the server presented.
    public let peerCertificate: Certificate?
    /// The protocol ALPN selected, if any.
    public let negotiatedProtocol: String?
    public let tlsVersion: TLSVersion?

    private init(channel: any Channel, handler: NIOLoopBound<RawHTTPClientHandler>, closed: NIOLockedValueBox<Bool>, peerCertificate: Certificate?, negotiatedProtocol: String?, tlsVersion: TLSVersion?) {
        self.channel = channel
        self.handler = handler
        self.closed = closed
        self.peerCertificate = peerCertificate
        self.negotiatedProtocol = negotiatedProtocol
        self.tlsVersion = tlsVersion
    }

    /// Connects and completes the TLS handshake (throws if it fails or times out).
    public static func connect(
        host: String = "127.0.0.1",
        port: Int,
        options: Options = Options(),
        timeout: Duration = .seconds(10)
    ) async throws -> TLSTestClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        tls.minimumTLSVersion = options.minimumVersion
        tls.maximumTLSVersion = options.maximumVersion
        tls.applicationProtocols = options.alpn
        if let certificate = options.certificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array((certificate.certificatePEM + "\n" + certificate.issuerPEM).utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM.utf8), format: .pem))
        }
        let context = try NIOSSLContext(configuration: tls)
        let closed = NIOLockedValueBox(false)
        let serverName = options.serverName
        let group = MultiThreadedEventLoopGroup.singleton
        let handshakePromise = group.any().makePromise(of: String?.self)
        let added = NIOLockedValueBox<(NIOLoopBound<NIOSSLClientHandler>, NIOLoopBound<RawHTTPClientHandler>)?>(nil)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    let ssl = try NIOSSLClientHandler(context: context, serverHostname: serverName)
                    let raw = RawHTTPClientHandler(closedFlag: closed)
                    try sync.addHandler(ssl)
                    try sync.addHandler(HandshakeWaiter(promise: handshakePromise))
                    try sync.addHandler(raw)
                    // Kept here, not looked up later: a server that closes right after the
                    // handshake would have emptied the pipeline by then.
                    added.withLockedValue {
                        $0 = (NIOLoopBound(ssl, eventLoop: channel.eventLoop), NIOLoopBound(raw, eventLoop: channel.eventLoop))
                    }
                }
            }
            .connect(host: host, port: port)
            .get()
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            handshakePromise.fail(TLSTestClientError.handshakeTimeout)
        }
        channel.closeFuture.whenComplete { _ in handshakePromise.fail(TLSTestClientError.closedDuringHandshake) }
        let negotiated: String?
        do {
            negotiated = try await handshakePromise.futureResult.get()
            timer.cancel()
        } catch {
            timer.cancel()
            try? await channel.close()
            throw error
        }
        guard let (sslBox, handler) = added.withLockedValue({ $0 }) else { throw ChannelError.ioOnClosedChannel }
        let (der, version) = try await channel.eventLoop.submit {
            (try sslBox.value.peerCertificate?.toDERBytes(), sslBox.value.tlsVersion)
        }.get()
        let certificate = try der.map { try Certificate(derEncoded: $0) }
        return TLSTestClient(
            channel: channel, handler: handler, closed: closed,
            peerCertificate: certificate, negotiatedProtocol: negotiated, tlsVersion: version
        )
    }

    /// The served certificate's DNS SANs (or nil without a certificate).
    public var peerDNSNames: [String]? {
        guard let certificate = self.peerCertificate else { return nil }
        let names = (try? certificate.extensions.subjectAlternativeNames) ?? nil
        return names?.compactMap { name -> String? in
            if case .dnsName(let text) = name { return text }
            return nil
        } ?? []
    }

    public var isClosed: Bool { self.closed.withLockedValue { $0 } }

    public func send(_ text: String) async throws {
        try await self.channel.writeAndFlush(self.channel.allocator.buffer(string: text))
    }

    /// Reads one response (see ``RawHTTPClient/readResponse(timeout:requestWasHead:returnInformational:)``).
    public func readResponse(timeout: Duration = .seconds(10), requestWasHead: Bool = false) async throws -> RawResponse {
        let options = RawResponseParser.Options(requestWasHead: requestWasHead, returnInformational: false, maxRetainedBodyBytes: 1 << 20)
        let promise = self.channel.eventLoop.makePromise(of: RawResponse.self)
        let eventLoop = self.channel.eventLoop
        eventLoop.execute { [handler] in
            handler.value.startRead(.response(RawResponseParser(options: options), promise), timeout: timeout, on: eventLoop)
        }
        return try await promise.futureResult.get()
    }

    /// Sends a request and reads its response.
    public func roundTrip(_ request: String, timeout: Duration = .seconds(10)) async throws -> RawResponse {
        try await self.send(request)
        return try await self.readResponse(timeout: timeout, requestWasHead: request.hasPrefix("HEAD "))
    }

    public func close() async {
        try? await self.channel.close()
    }
}

public enum TLSTestClientError: Error {
    case handshakeTimeout
    case closedDuringHandshake
}

/// Completes the promise with the ALPN result on handshake completion, or fails it with
/// the first error (a handshake alert, a reset).
private final class HandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let promise: EventLoopPromise<String?>

    init(promise: EventLoopPromise<String?>) {
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = tlsEvent {
            self.promise.succeed(negotiated)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.promise.fail(error)
        context.fireErrorCaught(error)
    }
}
