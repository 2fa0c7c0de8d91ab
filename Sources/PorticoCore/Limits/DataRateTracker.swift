/// Minimum data rate for one connection's reads (slowloris and slow-body protection).
/// Per connection and owned by its event loop: not shared, no locking.
///
/// The rule is a *deadline extended by the data received*, as Apache mod_reqtimeout's
/// `MinRate` does: `start` sets the deadline to `now + gracePeriod`, and every byte
/// received pushes it later by `1 / minBytesPerSecond` seconds, but never further than
/// `maxCredit` past the current time. The client is too slow once `now` passes the
/// deadline. Equivalently: after the grace period, the client must have sent at least
/// `minBytesPerSecond × (elapsed − grace)` bytes, where surplus from earlier fast sending
/// counts for at most `maxCredit` seconds.
///
/// Why this shape, rather than either plain alternative:
/// - *A plain average since start* lets an early burst buy
///   unlimited later slowness: send 1 MB quickly, then 1 byte a minute, and at 240 B/s
///   the connection stays up for over an hour. The credit cap bounds that to `maxCredit`.
/// - *A sliding window of per-second buckets* needs per-connection storage and cuts off
///   a client that paused briefly right after the window rolled; the capped credit is
///   two integers and tolerates any pause shorter than the credit it has earned.
///
/// So a client trickling 1 byte per second (against, say, 100 B/s) is cut off just after
/// the grace period, and a client that sent a burst then pauses for less than `maxCredit`
/// is not. Time the proxy itself is not reading (backpressure: the upstream is slow to
/// accept the body) must not count against the client: bracket it with `pause(now:)` and
/// `resume(now:)`.
///
/// `deadline` lets the caller arm one timer for the moment the client becomes too slow
/// (re-arming when it fires early because data arrived) instead of polling.
public struct DataRateTracker: Sendable {
    /// Bytes per second required after the grace period; 0 or less disables the check.
    public let minBytesPerSecond: Int
    public let gracePeriodNanos: Int64
    /// The most time a burst of data can buy beyond `now`.
    public let maxCreditNanos: Int64

    /// The client is too slow once `now` is past this (monotonic nanoseconds); meaningful
    /// once started and while not paused.
    public private(set) var deadline: Int64 = .max
    public private(set) var isStarted = false
    /// Set while paused: when the pause began.
    public private(set) var pausedAt: Int64?
    /// Nanoseconds of deadline per byte received, as a fixed-point fraction (× 2^16) so
    /// that rates which do not divide 10^9 do not drift.
    private let nanosPerByteQ16: Int64
    /// Sub-nanosecond remainder carried between `record` calls (× 2^16).
    private var carryQ16: Int64 = 0

    /// - Parameters:
    ///   - minBytesPerSecond: required rate after the grace period; 0 or less disables.
    ///   - gracePeriodNanos: time after `start` during which no rate is required.
    ///   - maxCreditNanos: how far ahead of now data may push the deadline; nil means the
    ///     grace period (a client may pause for as long as it was first allowed to be silent).
    public init(minBytesPerSecond: Int, gracePeriodNanos: Int64, maxCreditNanos: Int64? = nil) {
        self.minBytesPerSecond = minBytesPerSecond
        self.gracePeriodNanos = max(0, gracePeriodNanos)
        self.maxCreditNanos = max(0, maxCreditNanos ?? gracePeriodNanos)
        self.nanosPerByteQ16 = minBytesPerSecond > 0 ? (1_000_000_000 << 16) / Int64(minBytesPerSecond) : 0
    }

    public var isEnabled: Bool { minBytesPerSecond > 0 }

    /// Starts the clock (first read of the request head, or of the body).
    public mutating func start(now: Int64) {
        isStarted = true
        pausedAt = nil
        carryQ16 = 0
        deadline = LimitArithmetic.add(now, gracePeriodNanos)
    }

    /// Counts `bytes` received at `now`.
    public mutating func record(bytes: Int, now: Int64) {
        guard isEnabled, isStarted, bytes > 0 else { return }
        let cap = LimitArithmetic.add(pausedAt ?? now, maxCreditNanos)
        guard deadline < cap else { return }
        // bytes × nanosPerByte, saturating; only the part up to the cap matters.
        let extensionQ16 = LimitArithmetic.add(LimitArithmetic.multiply(Int64(bytes), nanosPerByteQ16), carryQ16)
        let extended = LimitArithmetic.add(deadline, extensionQ16 >> 16)
        if extended >= cap {
            deadline = cap
            carryQ16 = 0
        } else {
            deadline = extended
            carryQ16 = extensionQ16 & 0xFFFF
        }
    }

    /// Stops counting time (the proxy stopped reading, e.g. for backpressure).
    public mutating func pause(now: Int64) {
        guard isStarted, pausedAt == nil else { return }
        pausedAt = now
    }

    /// Counts time again; the paused interval moves the deadline later by its length.
    public mutating func resume(now: Int64) {
        guard let since = pausedAt else { return }
        pausedAt = nil
        deadline = LimitArithmetic.add(deadline, max(0, LimitArithmetic.subtract(now, since)))
    }

    /// Whether the client has fallen below the minimum rate at `now`.
    public func isTooSlow(now: Int64) -> Bool {
        isEnabled && isStarted && pausedAt == nil && now > deadline
    }
}
