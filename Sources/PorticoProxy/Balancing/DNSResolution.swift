import NIOCore
import PorticoCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Resolves upstream host names to every address they have (nginx resolves names in
/// `upstream` blocks the same way: each address becomes a server).
enum DNSResolution {
    /// All TCP addresses of `host` (IP literals resolve to themselves), deduplicated, in
    /// a stable order. Blocking (`getaddrinfo`): call it off the event loops, or at start.
    static func resolveAll(host: String, port: Int) -> Result<[SocketAddress], DNSError> {
        if let literal = try? SocketAddress(ipAddress: host, port: port) {
            return .success([literal])
        }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            let message = String(cString: gai_strerror(status))
            return .failure(DNSError(host: host, message: message))
        }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var seen = Set<String>()
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            guard let raw = info.pointee.ai_addr else { continue }
            let address: SocketAddress
            switch Int32(raw.pointee.sa_family) {
            case AF_INET:
                address = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    SocketAddress($0.pointee, host: host)
                }
            case AF_INET6:
                address = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    SocketAddress($0.pointee, host: host)
                }
            default:
                continue
            }
            let key = address.ipAddress ?? "\(address)"
            if seen.insert(key).inserted {
                addresses.append(address)
            }
        }
        // IPv4 first, then by text: a stable order keeps balancer state meaningful
        // across refreshes.
        addresses.sort { lhs, rhs in
            let lhsV4 = lhs.protocol == .inet
            let rhsV4 = rhs.protocol == .inet
            if lhsV4 != rhsV4 { return lhsV4 }
            return (lhs.ipAddress ?? "") < (rhs.ipAddress ?? "")
        }
        return .success(addresses)
    }

    struct DNSError: Error, CustomStringConvertible {
        let host: String
        let message: String
        var description: String { "cannot resolve \(host): \(message)" }
    }
}
