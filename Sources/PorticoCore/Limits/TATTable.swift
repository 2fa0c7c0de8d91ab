/// One shard of `KeyedRateLimiter`: an open-addressing hash table (linear probing,
/// backward-shift deletion) from a 64-bit key to its GCRA TAT, bounded by
/// `maxCount` entries.
///
/// Why not `Dictionary`: it does not give the first two of these.
/// 1. *Bounded lock hold for expiry.* Each operation examines a couple of slots at a
///    cursor and drops idle entries (TAT <= now) there, so expiry costs O(1) per
///    operation instead of a whole-shard scan under the lock every N operations
///    (`Dictionary` has no stable cursor to resume a scan from).
/// 2. *Memory that follows the active keys.* The table grows by doubling while keys are
///    added and shrinks when a sweep pass finds it mostly empty (`Dictionary` never
///    shrinks on removal). Slots are 16 bytes; the load stays within about 1/8…1/2
///    (32–128 bytes per tracked key), and the table never has more slots than the power
///    of two at or above `2 × maxCount`.
/// 3. *In-place updates with no allocation* for an existing key (one probe, one store).
///
/// Slots are chosen from `UInt64.hashValue` (SipHash with a per-process seed, as
/// `Dictionary` uses), so clients that pick their key text cannot build long probe
/// chains. The load factor stays at or below 1/2, so probes are short and there is
/// always an empty slot to end them.
///
/// Capacity policy: when a new key arrives and the table is full, first every idle entry
/// is dropped; if it is still full, the entries with the *oldest* TATs are evicted. Every
/// key that is not limited right now (TAT <= now + τ) has an older TAT than every key
/// that is (TAT > now + τ), so a limited key is never forgotten while an unlimited one is
/// kept, and the evicted keys are the ones that lose the least by starting over with a
/// full bucket. Evictions come in batches of `maxCount / 64` (at least 1), so a flood of
/// new keys pays one O(n log n) pass per batch rather than an O(n) scan per key.
struct TATTable: Sendable {
    struct Slot: Sendable {
        var key: UInt64
        var tat: Int64
    }

    /// The TAT that marks an empty slot. Never stored for a key: a stored TAT is always
    /// greater than some `now`, hence greater than `Int64.min`.
    static let empty: Int64 = .min
    /// Slots examined by the incremental sweep per operation.
    static let sweepStep = 2
    static let minSlots = 16

    private(set) var slots: [Slot]
    private var mask: Int
    /// Entries in use.
    private(set) var count = 0
    /// The most entries the table holds.
    let maxCount: Int
    private let maxSlots: Int
    private let evictionBatch: Int
    private var cursor = 0

    init(maxCount: Int) {
        self.maxCount = max(1, maxCount)
        self.maxSlots = Self.powerOfTwo(atLeast: 2 * self.maxCount)
        self.evictionBatch = max(1, self.maxCount / 64)
        let initial = min(self.maxSlots, Self.minSlots)
        self.slots = Array(repeating: Slot(key: 0, tat: Self.empty), count: initial)
        self.mask = initial - 1
    }

    @inline(__always)
    static func hash(_ key: UInt64) -> Int { key.hashValue }

    /// Runs `body` on `key`'s TAT at `now` (a fresh key starts at `GCRA.initialTAT`) and
    /// keeps the result when it is still ahead of `now`. Returns `body`'s result and how
    /// many keys that were not idle had to be evicted to make room.
    @inline(__always)
    mutating func update<R>(key: UInt64, hash: Int, now: Int64, _ body: (inout Int64) -> R) -> (R, Int) {
        sweepStep(now: now)
        var index = hash & mask
        while true {
            let slot = slots[index]
            if slot.tat == Self.empty { break }
            if slot.key == key {
                return (body(&slots[index].tat), 0)
            }
            index = (index + 1) & mask
        }
        // A new key (or one already forgotten): decide on a full bucket, and remember it
        // only if the decision moved its TAT past `now` (a rejection or a peek does not).
        var tat = GCRA.initialTAT
        let result = body(&tat)
        guard tat > now else { return (result, 0) }
        let evicted = insertNew(key: key, hash: hash, tat: tat, now: now)
        return (result, evicted)
    }

    /// The stored TAT of `key`, if any (for tests and diagnostics).
    func tat(of key: UInt64) -> Int64? {
        var index = Self.hash(key) & mask
        while true {
            let slot = slots[index]
            if slot.tat == Self.empty { return nil }
            if slot.key == key { return slot.tat }
            index = (index + 1) & mask
        }
    }

    /// Drops every idle entry (TAT <= now); returns how many.
    @discardableResult
    mutating func removeIdle(now: Int64) -> Int {
        var removed = 0
        var index = 0
        // A forward scan with backward-shift deletion sees every entry: a deletion at
        // `index` only moves entries from later slots into `index` (examined again) or
        // into later slots, or already-examined wrapped entries forward.
        while index < slots.count {
            let tat = slots[index].tat
            if tat != Self.empty && tat <= now {
                remove(at: index)
                removed += 1
            } else {
                index += 1
            }
        }
        shrinkIfSparse()
        return removed
    }

    /// Examines `sweepStep` slots at the cursor, dropping idle entries there; when the
    /// cursor completes a pass, shrinks the table if it has become sparse.
    @inline(__always)
    private mutating func sweepStep(now: Int64) {
        for _ in 0..<Self.sweepStep {
            let tat = slots[cursor].tat
            if tat != Self.empty && tat <= now {
                // Stay on this slot: the deletion may have shifted another entry into it.
                remove(at: cursor)
                continue
            }
            cursor = (cursor + 1) & mask
            if cursor == 0 {
                shrinkIfSparse()
                return
            }
        }
    }

    private mutating func insertNew(key: UInt64, hash: Int, tat: Int64, now: Int64) -> Int {
        var evicted = 0
        if count >= maxCount {
            removeIdle(now: now)
            if count >= maxCount {
                evicted = evictOldest(evictionBatch)
            }
        }
        while (count + 1) * 2 > slots.count && slots.count < maxSlots {
            resize(to: slots.count * 2)
        }
        var index = hash & mask
        while slots[index].tat != Self.empty {
            index = (index + 1) & mask
        }
        slots[index] = Slot(key: key, tat: tat)
        count += 1
        return evicted
    }

    /// Evicts the `n` entries with the oldest TATs (ties broken by slot order).
    private mutating func evictOldest(_ n: Int) -> Int {
        var tats: [Int64] = []
        tats.reserveCapacity(count)
        for slot in slots where slot.tat != Self.empty {
            tats.append(slot.tat)
        }
        let k = min(n, tats.count)
        guard k > 0 else { return 0 }
        tats.sort()
        let threshold = tats[k - 1]
        // Entries strictly older than the threshold all go; of those equal to it, only
        // enough to make `k`.
        var equalToEvict = k - (tats.firstIndex(of: threshold) ?? 0)
        var index = 0
        while index < slots.count {
            let tat = slots[index].tat
            if tat != Self.empty && (tat < threshold || (tat == threshold && equalToEvict > 0)) {
                if tat == threshold { equalToEvict -= 1 }
                remove(at: index)
            } else {
                index += 1
            }
        }
        return k
    }

    /// Backward-shift deletion (Knuth's algorithm R): pulls later entries of the probe
    /// run back into the hole so that lookups never need tombstones.
    private mutating func remove(at index: Int) {
        var hole = index
        var next = index
        while true {
            next = (next + 1) & mask
            let slot = slots[next]
            if slot.tat == Self.empty { break }
            let ideal = Self.hash(slot.key) & mask
            // The entry may fill the hole unless its ideal slot lies cyclically in
            // (hole, next], i.e. unless it is nearer its ideal slot than the hole is.
            if (next &- ideal) & mask >= (next &- hole) & mask {
                slots[hole] = slot
                hole = next
            }
        }
        slots[hole].tat = Self.empty
        count -= 1
    }

    private mutating func shrinkIfSparse() {
        guard slots.count > Self.minSlots, count * 8 < slots.count else { return }
        resize(to: max(Self.minSlots, Self.powerOfTwo(atLeast: count * 4)))
    }

    private mutating func resize(to size: Int) {
        let old = slots
        slots = Array(repeating: Slot(key: 0, tat: Self.empty), count: size)
        mask = size - 1
        cursor = 0
        for slot in old where slot.tat != Self.empty {
            var index = Self.hash(slot.key) & mask
            while slots[index].tat != Self.empty {
                index = (index + 1) & mask
            }
            slots[index] = slot
        }
    }

    private static func powerOfTwo(atLeast n: Int) -> Int {
        var size = 1
        while size < n { size <<= 1 }
        return size
    }
}
