import NIOCore
import NIOSSL
import NIOTLS

/// Sits behind the `NIOSSLClientHandler` of a new upstream connection until the TLS
/// handshake ends, and completes `promise` with the ALPN protocol the server chose (or
/// the handshake's failure). It then removes itself.
///
/// Why wait: a TCP connect succeeding says little about a TLS server. Waiting for the
/// handshake makes a certificate or protocol problem a *connect* failure, which the
/// forwarder may retry on another server for any method and which counts against the
/// server's passive health, instead of a request failing after it was (apparently) sent.
/// The wait is bounded by the connect timeout.
final class UpstreamTLSHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let promise: EventLoopPromise<String?>
    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var done = false

    init(promise: EventLoopPromise<String?>, timeout: TimeAmount) {
        self.promise = promise
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(in: self.timeout) {
            let (handler, context) = loopBound.value
            handler.finish(.failure(UpstreamTLSFailure(reason: "TLS handshake timed out")), context: context)
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        if !self.done {
            self.done = true
            self.promise.fail(UpstreamTLSFailure(reason: "TLS handshake abandoned"))
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = tlsEvent {
            self.finish(.success(negotiated), context: context)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.finish(.failure(UpstreamTLSFailure(reason: UpstreamTLSFailure.describe(error))), context: context)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.finish(.failure(UpstreamTLSFailure(reason: "connection closed during the TLS handshake")), context: context)
        context.fireChannelInactive()
    }

    private func finish(_ result: Result<String?, UpstreamTLSFailure>, context: ChannelHandlerContext) {
        guard !self.done else { return }
        self.done = true
        self.timer?.cancel()
        self.timer = nil
        self.promise.completeWith(result.mapError { $0 as any Error })
    }
}

/// A failed upstream TLS handshake, with a short reason for logs and error pages.
struct UpstreamTLSFailure: Error, CustomStringConvertible {
    var reason: String
    var description: String { self.reason }

    /// `certificate verify failed`, `certificate is not valid for "api.internal"`…
    /// rather than NIO's nested error values. BoringSSL reports the failing check as
    /// the last field of its error string (`…:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED`),
    /// which reads well once lower-cased.
    static func describe(_ error: any Error) -> String {
        if let failure = error as? UpstreamTLSFailure { return failure.reason }
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return "certificate does not match the verification name"
        }
        if let sslError = error as? NIOSSLError {
            switch sslError {
            case .handshakeFailed(let boringError):
                return Self.describe(boringSSL: boringError)
            case .uncleanShutdown:
                return "connection closed during the TLS handshake"
            default:
                return "\(sslError)"
            }
        }
        return "\(error)"
    }

    static func describe(boringSSL error: BoringSSLError) -> String {
        guard case .sslError(let stack) = error, !stack.isEmpty else { return "TLS handshake failed: \(error)" }
        let reasons = stack.map { entry -> String in
            // "Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at file:line"
            let text = "\(entry)"
            let fields = text.split(separator: ":", omittingEmptySubsequences: false)
            guard let library = fields.firstIndex(where: { $0.hasSuffix("_internal") }), library + 1 < fields.count else {
                return text
            }
            var reason = fields[library + 1]
            if let at = reason.range(of: " at ") { reason = reason[..<at.lowerBound] }
            return reason.replacingOccurrences(of: "_", with: " ").lowercased()
        }
        return reasons.joined(separator: "; ")
    }
}
