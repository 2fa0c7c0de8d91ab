import Synchronization

/// A GCRA rate limit per key (client address, API key, route…), shared by every event
/// loop: a limit must hold across worker threads, or a client would get N times the rate
/// by landing on N event loops.
///
/// Keys are `UInt64` hashes of the key text (callers use `StableHash`), so a check
/// allocates nothing. The state is sharded: each shard is a `Mutex` over a small
/// open-addressing table from key to TAT (`TATTable`), and a check holds one shard's lock
/// for one probe, one GCRA step and a two-slot expiry step.
///
/// Memory: a key idle long enough that its TAT is at or before `now` is equivalent to a
/// key never seen, so it is forgotten — lazily, two slots per operation on the shard,
/// plus a full pass whenever a shard is full (and on `sweep(now:)`). Tables shrink when
/// they become sparse. A shard that gets no traffic at all keeps its idle entries until
/// `sweep(now:)`; call it from a timer (say once a minute) to return memory after a
/// burst of clients has gone quiet. Each shard holds at most `maxKeys / shards` keys; when a new key arrives at a
/// full shard that has no idle entry, the keys with the oldest TATs are evicted (see
/// `TATTable`): never a key that is being limited while one that is not is kept, and
/// never more keys than the cap. An evicted key starts over with a full bucket, so an
/// undersized `maxKeys` weakens the limit for the least-limited keys first;
/// `forcedEvictions` counts these so that it shows up in metrics.
public final class KeyedRateLimiter: Sendable {
    public let gcra: GCRA
    /// The most keys tracked at once (`maxKeys` rounded down to a multiple of the shard count).
    public let maxKeys: Int
    public let shardCount: Int
    private let shards: [LockedShard<TATTable>]
    private let forcedEvictionCount = Atomic<Int>(0)

    /// - Parameters:
    ///   - maxKeys: the most keys tracked at once (at least 1); each of the shards holds
    ///     `maxKeys / shards`.
    ///   - shards: independent locks (clamped to 1...maxKeys). 16 keeps contention low on
    ///     machines with up to a few dozen event loops.
    public init(gcra: GCRA, maxKeys: Int, shards: Int = 16) {
        let shardCount = LimitSharding.clampedShardCount(shards, maxKeys: maxKeys)
        let perShard = max(1, maxKeys / shardCount)
        self.gcra = gcra
        self.shardCount = shardCount
        self.maxKeys = perShard * shardCount
        self.shards = (0..<shardCount).map { _ in LockedShard(TATTable(maxCount: perShard)) }
    }

    /// Decides one request of `cost` (normally 1) for `key` at `now` (monotonic nanoseconds).
    public func check(key: UInt64, now: Int64, cost: Int = 1) -> GCRADecision {
        let gcra = self.gcra
        return update(key: key, now: now) { tat in
            gcra.check(tat: &tat, now: now, cost: cost)
        }
    }

    /// nginx `limit_req ... delay=N` for `key` (see `GCRA.checkWithDelay`).
    public func checkWithDelay(key: UInt64, now: Int64, delayThreshold: Int, cost: Int = 1) -> GCRADelayDecision {
        let gcra = self.gcra
        return update(key: key, now: now) { tat in
            gcra.checkWithDelay(tat: &tat, now: now, delayThreshold: delayThreshold, cost: cost)
        }
    }

    /// Keys currently tracked (idle keys not yet swept included). Takes every shard's
    /// lock in turn: for metrics and tests, not for the request path.
    public var trackedKeys: Int {
        var total = 0
        for shard in shards {
            total += shard.state.withLock { $0.count }
        }
        return total
    }

    /// Keys evicted before they were idle because their shard was full: a sign that
    /// `maxKeys` is too small for the traffic (or that someone is spraying keys).
    public var forcedEvictions: Int { forcedEvictionCount.load(ordering: .relaxed) }

    /// Forgets every idle key now (one shard locked at a time); returns how many. Not
    /// needed for correctness — expiry is lazy — but a periodic call returns memory
    /// sooner on a limiter that has gone quiet.
    @discardableResult
    public func sweep(now: Int64) -> Int {
        var removed = 0
        for shard in shards {
            removed += shard.state.withLock { $0.removeIdle(now: now) }
        }
        return removed
    }

    /// The TAT stored for `key` (nil when not tracked), for tests and diagnostics.
    public func storedTAT(key: UInt64) -> Int64? {
        shards[LimitSharding.shard(forHash: TATTable.hash(key), count: shards.count)]
            .state.withLock { $0.tat(of: key) }
    }

    @inline(__always)
    private func update<R: Sendable>(key: UInt64, now: Int64, _ body: (inout Int64) -> R) -> R {
        let hash = TATTable.hash(key)
        let shard = shards[LimitSharding.shard(forHash: hash, count: shards.count)]
        let (result, evicted) = shard.state.withLock { table in
            table.update(key: key, hash: hash, now: now, body)
        }
        if evicted > 0 {
            forcedEvictionCount.wrappingAdd(evicted, ordering: .relaxed)
        }
        return result
    }
}
