import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A short, log-friendly reason for a failed upstream connect ("connection refused",
/// "connect timed out"), instead of NIO's nested error descriptions.
enum ConnectFailureReason {
    static func describe(_ error: any Error) -> String {
        if let connectionError = error as? NIOConnectionError, let first = connectionError.connectionErrors.first {
            return Self.describe(first.error)
        }
        if let ioError = error as? IOError {
            return String(cString: strerror(ioError.errnoCode)).lowercased()
        }
        if let channelError = error as? ChannelError, case .connectTimeout = channelError {
            return "connect timed out"
        }
        return "\(error)"
    }
}
