import Logging
import NIOCore
import NIOSSL

/// TLS on upstream connections (`https://` servers and groups with `tls:`), shared by
/// the HTTP/1.1 pool and the HTTP/2 connections.
extension ConnectionPool {
    /// Adds the TLS client and the handshake waiter in front of whatever speaks HTTP.
    /// SNI and the verification name are the server's `tlsName`; with none (an IP
    /// literal and no `server_name`) NIOSSL checks the certificate against the peer's IP.
    static func addTLSHandlers(
        _ pipeline: ChannelPipeline.SynchronousOperations,
        server: UpstreamServer,
        handshake: EventLoopPromise<String?>,
        timeout: TimeAmount
    ) throws {
        guard let context = server.transport.tlsContext else {
            throw UpstreamTLSFailure(reason: "no TLS context for this server")
        }
        let tlsHandler = try NIOSSLClientHandler(context: context, serverHostname: server.tlsName)
        try pipeline.addHandler(tlsHandler)
        try pipeline.addHandler(UpstreamTLSHandshakeHandler(promise: handshake, timeout: timeout))
    }

    /// Logs one line for a failed handshake (server, BoringSSL's reason, the name that
    /// was verified) and returns the failure to report as the attempt's connect error.
    static func logTLSFailure(_ error: any Error, server: UpstreamServer) -> UpstreamTLSFailure {
        let reason = UpstreamTLSFailure.describe(error)
        let name = server.tlsName ?? "\(server.address.host) (IP address)"
        server.transport.logger.error(
            "upstream TLS handshake failed",
            metadata: [
                "server": "\(server.identity)",
                "reason": "\(reason)",
                "verify_name": "\(name)",
            ]
        )
        return UpstreamTLSFailure(reason: "TLS handshake failed: \(reason) (verifying \(name))")
    }
}
