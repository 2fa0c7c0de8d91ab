/// The consistent-hash ring of `balance: consistent_hash` (Karger et al.; the layout is
/// nginx's `hash ... consistent`): each server owns `pointsPerWeight × weight` points,
/// point `k` of a server being `StableHash("<identity>#<k>")`, and a key belongs to the
/// first point at or after it, clockwise.
///
/// Because a server's points depend only on its own identity and weight, adding or
/// removing one server moves only the keys it gains or loses (about 1/N of them), and
/// two processes (or two reloads) that build the ring from the same servers agree on
/// every key. Identities must therefore be stable strings such as `"10.0.0.1:8080"`,
/// never indices or anything process-specific.
///
/// Built once per server set (config load, DNS change), never per request. The storage
/// is two arrays, so copies share it (copy-on-write) and it is `Sendable`.
public struct HashRing: Sendable, Equatable {
    /// Virtual nodes per unit of weight, as in nginx (Ketama uses 160 as well): with 160
    /// points per server the share of keys per server stays within a few percent.
    public static let pointsPerWeight = 160
    /// Upper bound on the ring size (16 MiB of points and owners). Beyond it, every
    /// server's point count is scaled down in proportion to its weight. Only reached with
    /// hundreds of heavily weighted servers; then a change to the total weight also moves
    /// some keys between remaining servers.
    public static let maxPoints = 1 << 20

    /// Point positions, ascending.
    public let points: [UInt64]
    /// `owners[i]` is the server index owning `points[i]`.
    public let owners: [UInt32]
    /// Number of servers the ring was built for.
    public let serverCount: Int

    /// Builds the ring. `identities[i]` and `weights[i]` describe server `i`; a missing
    /// or non-positive weight counts as 1.
    public init(serverIdentities identities: [String], weights: [Int]) {
        let count = identities.count
        var perServer = [Int](repeating: 0, count: count)
        var total = 0
        for index in 0..<count {
            let weight = index < weights.count ? max(1, weights[index]) : 1
            perServer[index] = weight.multipliedReportingOverflow(by: Self.pointsPerWeight).overflow
                ? Self.maxPoints : weight * Self.pointsPerWeight
            total = total.addingReportingOverflow(perServer[index]).overflow ? Int.max : total + perServer[index]
        }
        if total > Self.maxPoints {
            // Scale down, keeping at least one point per server.
            let scale = Double(Self.maxPoints) / Double(total)
            total = 0
            for index in 0..<count {
                perServer[index] = max(1, Int(Double(perServer[index]) * scale))
                total += perServer[index]
            }
        }

        var entries: [(point: UInt64, owner: UInt32)] = []
        entries.reserveCapacity(total)
        for index in 0..<count {
            var prefix = StableHasher()
            prefix.combine(identities[index])
            prefix.combine(byte: 0x23)  // "#"
            for k in 0..<perServer[index] {
                var hasher = prefix
                hasher.combineDecimal(k)
                entries.append((hasher.finalize(), UInt32(truncatingIfNeeded: index)))
            }
        }
        // Equal points (vanishingly rare with 64 bits) are ordered by owner so that the
        // ring is deterministic.
        entries.sort { $0.point != $1.point ? $0.point < $1.point : $0.owner < $1.owner }
        self.points = entries.map(\.point)
        self.owners = entries.map(\.owner)
        self.serverCount = count
    }

    /// Whether the ring has no points (no servers).
    public var isEmpty: Bool { points.isEmpty }

    /// Index into `points` of the first point at or after `key`, wrapping to 0 past the
    /// last point. The ring must not be empty.
    public func firstPosition(atOrAfter key: UInt64) -> Int {
        points.withUnsafeBufferPointer { points in
            var low = 0
            var high = points.count
            while low < high {
                let mid = low + (high - low) / 2
                if points[mid] < key { low = mid + 1 } else { high = mid }
            }
            return low == points.count ? 0 : low
        }
    }

    /// The server owning `key` when every server is available.
    public func owner(of key: UInt64) -> Int? {
        isEmpty ? nil : Int(owners[firstPosition(atOrAfter: key)])
    }
}
