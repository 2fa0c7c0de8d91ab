import Synchronization

/// Caps how many things are in progress at once per key, shared by every event loop:
/// "at most N concurrent connections per client address", "at most N requests in flight
/// per API key". Every successful `acquire(key:)` must be matched by one
/// `release(key:)` (on connection close / response end, including error paths).
///
/// Each shard is a `Mutex` over `[UInt64: Int]` (key → count in progress). A key is
/// removed when its count returns to 0, so the entries follow the live connections; a
/// shard's dictionary is rebuilt smaller when it drops below 1/8 of its capacity (a
/// dictionary keeps its storage on removal), so memory follows the recent peak down.
/// Dictionaries hash with a per-process seed, so clients choosing their key text cannot
/// force collisions.
public final class ConcurrencyLimiter: Sendable {
    /// Most in progress per key; 0 or less admits nothing.
    public let limitPerKey: Int
    public let shardCount: Int
    private let shards: [LockedShard<[UInt64: Int]>]

    /// Dictionaries at or below this capacity are never rebuilt smaller.
    static let shrinkFloor = 256

    public init(limitPerKey: Int, shards: Int = 16) {
        self.limitPerKey = limitPerKey
        self.shardCount = max(1, min(shards, 1 << 16))
        self.shards = (0..<self.shardCount).map { _ in LockedShard([UInt64: Int]()) }
    }

    /// Takes one unit for `key`; false (and nothing taken) when the key is at its limit.
    public func acquire(key: UInt64) -> Bool {
        let limit = limitPerKey
        return shard(for: key).state.withLock { counts in
            if let index = counts.index(forKey: key) {
                guard counts.values[index] < limit else { return false }
                counts.values[index] += 1
                return true
            }
            guard limit > 0 else { return false }
            counts[key] = 1
            return true
        }
    }

    /// Returns one unit for `key`. Returns false, and changes nothing, when the key holds
    /// no unit (an unmatched release: a caller bug, but one that must not let the key
    /// exceed its limit later by going negative).
    @discardableResult
    public func release(key: UInt64) -> Bool {
        shard(for: key).state.withLock { counts in
            guard let index = counts.index(forKey: key) else { return false }
            if counts.values[index] > 1 {
                counts.values[index] -= 1
                return true
            }
            counts.remove(at: index)
            if counts.capacity > Self.shrinkFloor, counts.count * 8 < counts.capacity {
                var smaller = [UInt64: Int](minimumCapacity: counts.count * 2)
                for (key, count) in counts { smaller[key] = count }
                counts = smaller
            }
            return true
        }
    }

    /// Units held for `key` now.
    public func count(key: UInt64) -> Int {
        shard(for: key).state.withLock { $0[key] ?? 0 }
    }

    /// Keys holding at least one unit (locks each shard in turn: metrics and tests).
    public var trackedKeys: Int {
        var total = 0
        for shard in shards {
            total += shard.state.withLock { $0.count }
        }
        return total
    }

    @inline(__always)
    private func shard(for key: UInt64) -> LockedShard<[UInt64: Int]> {
        shards[LimitSharding.shard(forHash: key.hashValue, count: shards.count)]
    }
}
