import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import PorticoCore

/// The admin listener: HTTP/1.1 with keep-alive on its own address, serving the admin
/// API, `/metrics` and the status page.
///
/// This is the control plane, so it uses structured concurrency (one task per
/// connection over `NIOAsyncChannel`) rather than hand-written channel handlers; the
/// data path never waits on anything here.
public final class AdminServer: Sendable {
    /// Largest request body read (the API takes no bodies; this only bounds what a
    /// client can make the server buffer).
    public static let maxRequestBodyBytes = 64 * 1024
    /// An admin connection idle this long is closed (the status page polls every
    /// second, so it never is); bounds what forgotten clients hold open.
    public static let idleTimeout: TimeAmount = .seconds(75)

    private let config: AdminConfig
    private let api: AdminAPI
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        var serverChannel: (any Channel)?
        var acceptTask: Task<Void, Never>?
        var isShutDown = false
    }

    public init(config: AdminConfig, backend: any AdminBackend, group: any EventLoopGroup, logger: Logger) {
        self.config = config
        self.api = AdminAPI(backend: backend, token: config.token)
        self.group = group
        self.logger = logger
    }

    /// Binds `config.address` and starts serving; returns the bound address (useful
    /// with port 0).
    public func start() async throws -> SocketAddress {
        let serverChannel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: self.config.address.host, port: self.config.address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        IdleStateHandler(allTimeout: Self.idleTimeout), CloseOnIdleHandler()
                    )
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        guard let address = serverChannel.channel.localAddress else {
            try? await serverChannel.channel.close()
            throw ProxyServer.StartupError(description: "admin listener has no local address")
        }
        let api = self.api
        let logger = self.logger
        let task = Task {
            await withDiscardingTaskGroup { connections in
                do {
                    try await serverChannel.executeThenClose { inbound in
                        for try await connection in inbound {
                            connections.addTask {
                                await Self.serve(connection, api: api, logger: logger)
                            }
                        }
                    }
                } catch {
                    logger.debug("admin listener stopped", metadata: ["reason": "\(error)"])
                }
                // The listener is closed: close idle keep-alive connections too.
                connections.cancelAll()
            }
        }
        let alreadyShutDown = self.state.withLockedValue { state in
            state.serverChannel = serverChannel.channel
            state.acceptTask = task
            return state.isShutDown
        }
        if alreadyShutDown { await self.shutdown() }
        self.logger.info("admin listener started", metadata: ["address": "\(ProxyService.describe(address))"])
        return address
    }

    /// Stops accepting and closes every admin connection.
    public func shutdown() async {
        let (channel, task) = self.state.withLockedValue { state in
            state.isShutDown = true
            defer {
                state.serverChannel = nil
                state.acceptTask = nil
            }
            return (state.serverChannel, state.acceptTask)
        }
        try? await channel?.close()
        task?.cancel()
        await task?.value
    }

    /// Serves one connection: requests in order (the pipeline handler holds back
    /// pipelined ones), keep-alive as the client asks.
    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
        api: AdminAPI,
        logger: Logger
    ) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var bodyBytes = 0
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        bodyBytes = 0
                    case .body(let chunk):
                        bodyBytes += chunk.readableBytes
                        if bodyBytes > maxRequestBodyBytes {
                            let response = AdminResponse.error(413, "request body larger than \(maxRequestBodyBytes) bytes")
                            try await write(response, for: head, keepAlive: false, to: outbound)
                            return
                        }
                    case .end:
                        guard let requestHead = head else { continue }
                        head = nil
                        let response = await api.handle(
                            method: requestHead.method.rawValue,
                            target: requestHead.uri,
                            authorization: requestHead.headers.first(name: "authorization")
                        )
                        try await write(response, for: requestHead, keepAlive: requestHead.isKeepAlive, to: outbound)
                        if !requestHead.isKeepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("admin connection ended", metadata: ["reason": "\(error)"])
        }
    }

    private static func write(
        _ response: AdminResponse,
        for request: HTTPRequestHead?,
        keepAlive: Bool,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        var headers = HTTPHeaders()
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        let body = ByteBuffer(string: response.body)
        headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        if headers["Cache-Control"].isEmpty { headers.add(name: "Cache-Control", value: "no-store") }
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let version = request?.version ?? .http1_1
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        try await outbound.write(.head(head))
        if request?.method != .HEAD, body.readableBytes > 0 {
            try await outbound.write(.body(.byteBuffer(body)))
        }
        try await outbound.write(.end(nil))
    }
}

/// Closes the connection when `IdleStateHandler` reports it idle.
private final class CloseOnIdleHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
