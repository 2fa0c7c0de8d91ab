/// The generic cell rate algorithm: a token bucket whose whole per-key state is one
/// `Int64`, the theoretical arrival time (TAT) of the next request that conforms to the
/// rate. This is the algorithm of nginx `limit_req` (which keeps it as an "excess") and of
/// redis-cell.
///
/// With emission interval `T = 1 / rate` and tolerance `τ = burst × T`, a request of
/// cost `c` at `now` is allowed when
///
///     max(TAT, now) + c × T − now <= τ + T
///
/// and, when allowed, moves the TAT to `max(TAT, now) + c × T`. A rejected request
/// changes nothing.
///
/// **Burst convention (nginx's):** `burst` counts requests *in excess of* the rate, so a
/// fresh key gets `burst + 1` requests at once (`capacity`), then one per `T`. Rate 10/s
/// with burst 5 allows exactly 6 requests at `t = 0`, the 7th at `t = 100 ms`. This is
/// what nginx (`limit_req ... burst=5`: excess 0…5 accepted) and redis-cell
/// (`max_burst + 1`) do; burst 0 means strictly one request per `T`.
///
/// Time is `Int64` nanoseconds of a monotonic clock (`now:`), as elsewhere in PorticoCore.
/// A TAT at or before `now` is the same as a key never seen (a full bucket), which is
/// what lets `KeyedRateLimiter` forget idle keys. A new key's state is any value `<= now`,
/// e.g. `GCRA.initialTAT`.
///
/// Rates are rounded to whole nanoseconds of `T` (rate 3/s runs at 3.000000003/s), which
/// is far below anything a client can observe. Arithmetic saturates, so extreme settings
/// (a rate of one a month, a burst of millions) cannot overflow.
public struct GCRA: Sendable, Equatable {
    /// `T`: nanoseconds between conforming requests (1 s / rate), at least 1.
    public let emissionIntervalNanos: Int64
    /// Requests allowed in excess of the rate (nginx `burst`); not negative.
    public let burst: Int
    /// `τ = burst × T`.
    public let toleranceNanos: Int64
    /// `τ + T`: how far the TAT may run ahead of `now` after an allowed request.
    public let horizonNanos: Int64

    /// The state of a key that has never been seen (or is idle): any TAT `<= now` works;
    /// this one is `<=` every clock value.
    public static let initialTAT: Int64 = .min

    /// The longest emission interval accepted (about 52 days): a rate that is zero,
    /// negative or NaN is clamped to it, i.e. treated as "practically never".
    public static let maxEmissionIntervalNanos: Int64 = 1 << 52

    /// - Parameters:
    ///   - ratePerSecond: the sustained rate (requests per second; fractions allowed, e.g.
    ///     `1.0 / 60` for one a minute). Validated by the configuration layer; a value that
    ///     is not positive is clamped to `maxEmissionIntervalNanos` rather than trapping.
    ///   - burst: requests allowed in excess of the rate; negative is treated as 0.
    public init(ratePerSecond: Double, burst: Int) {
        let interval = 1e9 / ratePerSecond
        let maxInterval = Self.maxEmissionIntervalNanos
        let t: Int64
        if interval.isNaN || interval < 0 || interval >= Double(maxInterval) {
            t = maxInterval
        } else {
            t = max(1, Int64(interval.rounded()))
        }
        self.init(emissionIntervalNanos: t, burst: burst)
    }

    /// A GCRA with an exact emission interval (e.g. `60_000_000_000 / 7` for 7 a minute).
    public init(emissionIntervalNanos: Int64, burst: Int) {
        let t = min(max(1, emissionIntervalNanos), Self.maxEmissionIntervalNanos)
        let b = max(0, burst)
        self.emissionIntervalNanos = t
        self.burst = b
        self.toleranceNanos = LimitArithmetic.multiply(Int64(b), t)
        self.horizonNanos = LimitArithmetic.add(self.toleranceNanos, t)
    }

    /// Requests a fresh key may make at once: `burst + 1`.
    public var capacity: Int { burst + 1 }

    /// Decides one request of `cost` units (normally 1) at `now`, updating `tat` only when
    /// the request is allowed. A cost of 0 peeks (always allowed, changes nothing that
    /// matters); a cost above `capacity` can never conform and is rejected with
    /// `retryAfterNanos == Int64.max`.
    @inlinable
    public func check(tat: inout Int64, now: Int64, cost: Int = 1) -> GCRADecision {
        let base = max(tat, now)
        let newTAT = LimitArithmetic.add(base, LimitArithmetic.multiply(Int64(max(0, cost)), emissionIntervalNanos))
        // How far ahead of `now` the TAT would run; allowed while within τ + T.
        let ahead = LimitArithmetic.subtract(newTAT, now)
        if ahead > horizonNanos {
            let used = LimitArithmetic.subtract(base, now)
            let cannotConform = LimitArithmetic.subtract(newTAT, base) > horizonNanos
            return GCRADecision(
                allowed: false,
                remaining: Self.remaining(horizon: horizonNanos, used: used, interval: emissionIntervalNanos),
                retryAfterNanos: cannotConform ? .max : ahead - horizonNanos,
                resetAfterNanos: used
            )
        }
        tat = newTAT
        return GCRADecision(
            allowed: true,
            remaining: Self.remaining(horizon: horizonNanos, used: ahead, interval: emissionIntervalNanos),
            retryAfterNanos: 0,
            resetAfterNanos: max(0, ahead)
        )
    }

    /// nginx `limit_req ... burst=B delay=D` semantics (`delayThreshold` is `D`).
    ///
    /// A request that would be rejected by `check` is rejected. Of the allowed ones, the
    /// first `delayThreshold + 1` at once (the conforming request plus `delayThreshold`
    /// excess ones, as nginx counts "excess") pass immediately; later ones are counted
    /// now but told to wait until they conform to the rate: the request whose excess is
    /// `e > D` waits `(e − D) × T`, exactly nginx's delay. `delayThreshold` 0 is nginx's
    /// default (every excess request delayed); `delayThreshold >= burst` is `nodelay`.
    ///
    /// A delayed request has already been counted (the TAT moved): the caller must serve
    /// it after the delay, not re-check it.
    @inlinable
    public func checkWithDelay(tat: inout Int64, now: Int64, delayThreshold: Int, cost: Int = 1) -> GCRADelayDecision {
        let base = max(tat, now)
        let newTAT = LimitArithmetic.add(base, LimitArithmetic.multiply(Int64(max(0, cost)), emissionIntervalNanos))
        let ahead = LimitArithmetic.subtract(newTAT, now)
        if ahead > horizonNanos {
            let cannotConform = LimitArithmetic.subtract(newTAT, base) > horizonNanos
            return .reject(retryAfterNanos: cannotConform ? .max : ahead - horizonNanos)
        }
        tat = newTAT
        // Immediate while the TAT is at most (D + 1) × T ahead of now.
        let immediate = LimitArithmetic.multiply(Int64(max(0, delayThreshold)) + 1, emissionIntervalNanos)
        let delay = LimitArithmetic.subtract(ahead, immediate)
        return delay > 0 ? .delay(nanos: delay) : .allow
    }

    /// Requests of cost 1 that still fit at `now` when the TAT is `used` ahead of it.
    @inlinable
    static func remaining(horizon: Int64, used: Int64, interval: Int64) -> Int {
        let room = LimitArithmetic.subtract(horizon, max(0, used))
        return room <= 0 ? 0 : Int(room / interval)
    }
}

/// The outcome of `GCRA.check` (and `KeyedRateLimiter.check`).
public struct GCRADecision: Sendable, Equatable {
    public var allowed: Bool
    /// Requests (of cost 1) still allowed right now, after this decision.
    public var remaining: Int
    /// How long until this request would be allowed; 0 when allowed, `Int64.max` when its
    /// cost exceeds the capacity and it can never be allowed.
    public var retryAfterNanos: Int64
    /// How long until the bucket is full again (the key is idle and forgettable).
    public var resetAfterNanos: Int64

    public init(allowed: Bool, remaining: Int, retryAfterNanos: Int64, resetAfterNanos: Int64) {
        self.allowed = allowed
        self.remaining = remaining
        self.retryAfterNanos = retryAfterNanos
        self.resetAfterNanos = resetAfterNanos
    }
}

/// The outcome of `GCRA.checkWithDelay` (nginx `limit_req` with `delay=`).
public enum GCRADelayDecision: Sendable, Equatable {
    /// Serve now.
    case allow
    /// Counted; serve after this many nanoseconds so the request conforms to the rate.
    case delay(nanos: Int64)
    /// Over the burst: reject (429/503); allowed again after this many nanoseconds
    /// (`Int64.max`: never, the cost exceeds the capacity).
    case reject(retryAfterNanos: Int64)
}
