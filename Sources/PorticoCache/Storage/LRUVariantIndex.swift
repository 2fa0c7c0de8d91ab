/// Names one stored variant: a primary key (RFC 9111 §2) and a variant key (§4.1).
struct VariantID: Hashable, Sendable {
    var primaryKey: String
    var variantKey: String
}

/// What both stores keep under their lock: primary key → variant key → payload, a
/// byte count, and one recency list over all variants, so that eviction picks the
/// least recently used *variant* (not a whole primary key) in O(1).
///
/// Lookups are two dictionary probes; nothing here scans all entries except
/// `primaryKeys` (purges, which are rare). Not thread-safe on its own.
struct LRUVariantIndex<Payload> {
    fileprivate struct Slot {
        var payload: Payload
        var size: Int
        var handle: LRUList<VariantID>.Handle
    }

    private var primaries: [String: [String: Slot]] = [:]
    private var recency = LRUList<VariantID>()
    /// Sum of the sizes given to `upsert` of the variants present.
    private(set) var bytes = 0

    init() {}

    var count: Int { self.recency.count }

    /// Every primary key present (a copy: callers may remove while walking it).
    var primaryKeys: [String] { Array(self.primaries.keys) }

    /// The variants of `primaryKey` (in no particular order), each marked most recently used.
    mutating func touchVariants(of primaryKey: String) -> [(variantKey: String, payload: Payload)] {
        guard let variants = self.primaries[primaryKey] else { return [] }
        var result: [(variantKey: String, payload: Payload)] = []
        result.reserveCapacity(variants.count)
        for (variantKey, slot) in variants {
            self.recency.moveToFront(slot.handle)
            result.append((variantKey, slot.payload))
        }
        return result
    }

    /// The payload of one variant, without changing its recency.
    func peek(primaryKey: String, variantKey: String) -> Payload? {
        self.primaries[primaryKey]?[variantKey]?.payload
    }

    /// Stores `payload` as the most recently used variant, replacing (and returning)
    /// the one with the same keys.
    @discardableResult
    mutating func upsert(primaryKey: String, variantKey: String, payload: Payload, size: Int) -> Payload? {
        if var slot = self.primaries[primaryKey]?[variantKey] {
            let old = slot.payload
            self.bytes += size - slot.size
            slot.payload = payload
            slot.size = size
            self.recency.moveToFront(slot.handle)
            self.primaries[primaryKey]![variantKey] = slot
            return old
        }
        let handle = self.recency.pushFront(VariantID(primaryKey: primaryKey, variantKey: variantKey))
        self.primaries[primaryKey, default: [:]][variantKey] = Slot(payload: payload, size: size, handle: handle)
        self.bytes += size
        return nil
    }

    /// Removes one variant and returns its payload.
    @discardableResult
    mutating func remove(primaryKey: String, variantKey: String) -> Payload? {
        guard let slot = self.primaries[primaryKey]?.removeValue(forKey: variantKey) else { return nil }
        if self.primaries[primaryKey]!.isEmpty { self.primaries.removeValue(forKey: primaryKey) }
        self.recency.remove(slot.handle)
        self.bytes -= slot.size
        return slot.payload
    }

    /// Removes every variant of `primaryKey` and returns them.
    mutating func removeVariants(of primaryKey: String) -> [(variantKey: String, payload: Payload)] {
        guard let variants = self.primaries.removeValue(forKey: primaryKey) else { return [] }
        var result: [(variantKey: String, payload: Payload)] = []
        result.reserveCapacity(variants.count)
        for (variantKey, slot) in variants {
            self.recency.remove(slot.handle)
            self.bytes -= slot.size
            result.append((variantKey, slot.payload))
        }
        return result
    }

    /// The least recently used variant, without removing it.
    var leastRecent: VariantID? { self.recency.leastRecent?.element }

    /// Removes and returns the least recently used variant.
    mutating func removeLeastRecent() -> (id: VariantID, payload: Payload)? {
        guard let id = self.recency.leastRecent?.element,
            let payload = self.remove(primaryKey: id.primaryKey, variantKey: id.variantKey)
        else { return nil }
        return (id, payload)
    }

    /// Variants from most to least recently used (tests and diagnostics; O(n)).
    var idsByRecency: [VariantID] { self.recency.elementsByRecency }
}

extension LRUVariantIndex: Sendable where Payload: Sendable {}
extension LRUVariantIndex.Slot: Sendable where Payload: Sendable {}
