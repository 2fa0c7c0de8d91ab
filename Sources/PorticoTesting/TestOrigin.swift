import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// An in-process, scriptable HTTP/1.1 origin on 127.0.0.1 (ephemeral port) for end-to-end
/// tests of the proxy. Every request is read completely, recorded, and answered as the
/// `behavior` closure decides (see ``OriginResponse``).
///
/// Pipelined keep-alive requests are answered in order, `Expect: 100-continue` gets an
/// interim `100 Continue`, chunked request bodies and trailers are accepted, and `HEAD`
/// is answered without a body.
///
/// ```swift
/// let origin = try await TestOrigin.start { req in req.uri == "/slow" ? .delayHead(.seconds(5), then: .ok) : .ok }
/// defer { Task { try await origin.stop() } }
/// ```
public final class TestOrigin: Sendable {
    /// Request bodies are retained in ``RecordedRequest/body`` up to this size; the digest covers everything.
    public static let maxRetainedBodyBytes = 1 << 20

    struct State {
        var requests: [RecordedRequest] = []
        var connectionCount = 0
        var openChannels: [Int: any Channel] = [:]
    }

    private let serverChannel: any Channel
    private let state: NIOLockedValueBox<State>

    private init(serverChannel: any Channel, state: NIOLockedValueBox<State>) {
        self.serverChannel = serverChannel
        self.state = state
    }

    /// Binds to 127.0.0.1 on an ephemeral port and starts answering with `behavior`.
    public static func start(
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        // `tls`: serve HTTPS with this context (see `TestCertificate.serverContext`).
        tls: NIOSSLContext? = nil,
        behavior: @escaping @Sendable (RecordedRequest) -> OriginResponse = { _ in .ok }
    ) async throws -> TestOrigin {
        let state = NIOLockedValueBox(State())
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let id = state.withLockedValue { state in
                    defer { state.connectionCount += 1 }
                    state.openChannels[state.connectionCount] = channel
                    return state.connectionCount
                }
                channel.closeFuture.whenComplete { _ in
                    _ = state.withLockedValue { $0.openChannels.removeValue(forKey: id) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(RawWriteTap(), position: .first)
                    if let tls {
                        // HTTPS origin: TLS closest to the socket, under everything else.
                        try sync.addHandler(NIOSSLServerHandler(context: tls), position: .first)
                    }
                    try sync.configureHTTPServerPipeline()
                    try sync.addHandler(
                        TestOriginHandler(connectionID: id, behavior: behavior) { request in
                            state.withLockedValue { $0.requests.append(request) }
                        }
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TestOrigin(serverChannel: channel, state: state)
    }

    /// The bound port.
    public var port: Int { serverChannel.localAddress?.port ?? 0 }

    /// `"127.0.0.1:PORT"`.
    public var address: String { "127.0.0.1:\(port)" }

    /// Every completely received request, in the order they completed.
    public func requests() -> [RecordedRequest] { state.withLockedValue { $0.requests } }

    /// Number of completely received requests.
    public var requestCount: Int { state.withLockedValue { $0.requests.count } }

    /// TCP connections accepted so far.
    public var connectionCount: Int { state.withLockedValue { $0.connectionCount } }

    /// TCP connections currently open.
    public var openConnectionCount: Int { state.withLockedValue { $0.openChannels.count } }

    /// Stops listening and closes every open connection.
    public func stop() async throws {
        let children = state.withLockedValue { Array($0.openChannels.values) }
        try? await serverChannel.close()
        for child in children {
            try? await child.close()
        }
    }
}

/// A pass-through outbound handler at the front of the pipeline. Writing a `ByteBuffer`
/// through its context bypasses the HTTP encoder, for `OriginResponse.raw`.
final class RawWriteTap: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
}
