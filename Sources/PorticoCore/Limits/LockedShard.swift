import Synchronization

/// One shard of a limiter shared by every event loop: a `Mutex` over the shard's state,
/// padded so that two shards' locks never share a cache line (threads hammering
/// different shards must not bounce each other's lines).
///
/// The padding goes after the lock: each shard is its own heap object, so the next
/// shard's lock starts at least 128 bytes (two lines, for the adjacent-line prefetcher)
/// after this one's.
final class LockedShard<State: Sendable>: Sendable {
    let state: Mutex<State>
    private let padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                          UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    init(_ state: sending State) {
        self.state = Mutex(state)
    }
}

/// Shard selection for the limiters.
enum LimitSharding {
    /// The shard for a key: the top bits of the process-seeded hash (`UInt64.hashValue`,
    /// SipHash with a per-process seed, as `Dictionary` uses), mapped onto `count` shards
    /// by multiply-shift. Seeded, so that clients who control the key text cannot aim all
    /// their keys at one shard; the top bits, so that the shard is independent of the
    /// table slot (`TATTable` uses the low bits).
    @inline(__always)
    static func shard(forHash hash: Int, count: Int) -> Int {
        let top = UInt64(UInt(bitPattern: hash)) >> 32
        return Int(truncatingIfNeeded: (top &* UInt64(count)) >> 32)
    }

    /// A shard count in 1...maxKeys (so that every shard can hold at least one key).
    static func clampedShardCount(_ shards: Int, maxKeys: Int) -> Int {
        max(1, min(shards, max(1, maxKeys), 1 << 16))
    }
}
