/// What an operator has said about one upstream server at run time (admin API), on top
/// of what health checks decide. Health checks keep running in every state, so a server
/// brought back is only used once it is healthy.
///
/// The names and semantics follow HAProxy's server states (`set server ... state`):
public enum ServerAdminState: String, Sendable, Equatable, CaseIterable {
    /// In rotation (subject to health, ejection and limits as usual).
    case enabled
    /// No new requests, except those a sticky cookie pins to it, so sessions finish
    /// where they started (HAProxy `drain`). Requests in flight complete normally.
    case draining
    /// Never chosen, not even for pinned requests (HAProxy `maint`). Requests in flight
    /// complete normally.
    case disabled

    /// Compact form stored in `ServerState`'s atomic.
    var code: UInt8 {
        switch self {
        case .enabled: 0
        case .draining: 1
        case .disabled: 2
        }
    }

    init(code: UInt8) {
        switch code {
        case 1: self = .draining
        case 2: self = .disabled
        default: self = .enabled
        }
    }
}
