/// What a balancing policy may know about a group's servers at the moment it chooses.
///
/// The runtime implements it over live server state (health, ejection, in-flight
/// counts, slow start); tests implement it over plain arrays. Policies never see why a
/// server is ineligible — health, ejection, `max_connections` and backup tiers are
/// decided by the caller — which keeps each policy a small pure type.
public protocol BalancerServerView {
    /// Number of servers; indices run `0..<serverCount`.
    var serverCount: Int { get }
    /// Whether the server may take this request now.
    func isEligible(_ index: Int) -> Bool
    /// Effective weight, at least 1 (configured weight scaled by slow start).
    func weight(_ index: Int) -> Int
    /// Requests currently in flight to the server.
    func load(_ index: Int) -> Int
    /// Whether the server may take a request a sticky cookie pins to it. Usually the
    /// same as `isEligible`; a *draining* server (admin API) is not eligible for new
    /// requests but still accepts pinned ones, so sessions end where they started.
    func acceptsPinned(_ index: Int) -> Bool
}

extension BalancerServerView {
    /// Views without a draining notion: pinned requests follow `isEligible`.
    @inline(__always)
    public func acceptsPinned(_ index: Int) -> Bool { self.isEligible(index) }
}

/// The request-specific inputs a policy may use.
public struct BalanceRequest: Sendable {
    /// Hash of the configured key (`consistent_hash`).
    public var hashKey: UInt64?
    /// Server the request's sticky cookie names (`sticky`), if any and known.
    public var stickyServer: Int?

    public init(hashKey: UInt64? = nil, stickyServer: Int? = nil) {
        self.hashKey = hashKey
        self.stickyServer = stickyServer
    }
}
