/// Client address allow/deny lists, checked once per connection or request.
///
/// Semantics (the ones nginx users expect from `allow`/`deny` with a final `deny all`,
/// but independent of the order in which rules are written):
/// 1. an address matching any `deny` prefix is refused (deny wins);
/// 2. otherwise, when `allow` is not empty, the address must match one of its prefixes;
/// 3. two empty lists permit everything.
///
/// Addresses are matched after `IPAddress.unmapped`, so `::ffff:10.1.2.3` is `10.1.2.3`
/// (see `CIDR` for the IPv4/IPv6 rules). The prefixes are compiled into sorted, merged
/// ranges per family: a lookup is a short linear scan for small lists and a binary
/// search for large ones, and never allocates.
public struct AccessList: Sendable {
    public let allow: [CIDR]
    public let deny: [CIDR]
    private let allowed: AddressRangeSet
    private let denied: AddressRangeSet

    public init(allow: [CIDR], deny: [CIDR]) {
        self.allow = allow
        self.deny = deny
        allowed = AddressRangeSet(allow)
        denied = AddressRangeSet(deny)
    }

    /// True when both lists are empty: every address is permitted, so callers can skip
    /// the check entirely.
    public var permitsAll: Bool { allow.isEmpty && deny.isEmpty }

    public func permits(_ address: IPAddress) -> Bool {
        let a = address.unmapped
        if denied.contains(a) { return false }
        return allowed.isEmpty || allowed.contains(a)
    }
}

/// A set of CIDR prefixes compiled into sorted, non-overlapping, non-adjacent closed
/// ranges, one array per address family. Shared by `AccessList` and
/// `ClientAddressResolver`.
struct AddressRangeSet: Sendable {
    /// Below this many ranges a linear scan beats binary search (and both are cheap).
    static let linearScanLimit = 16

    private let v4: [ClosedRange<UInt32>]
    private let v6: [ClosedRange<UInt128>]

    init(_ prefixes: [CIDR]) {
        var v4: [ClosedRange<UInt32>] = []
        var v6: [ClosedRange<UInt128>] = []
        for prefix in prefixes {
            let (lower, upper) = prefix.range
            switch prefix.family {
            case .ipv4: v4.append(UInt32(truncatingIfNeeded: lower)...UInt32(truncatingIfNeeded: upper))
            case .ipv6: v6.append(lower...upper)
            }
        }
        self.v4 = Self.merged(v4)
        self.v6 = Self.merged(v6)
    }

    var isEmpty: Bool { v4.isEmpty && v6.isEmpty }

    /// Ranges in the set per family, after merging (for tests and diagnostics).
    var rangeCounts: (ipv4: Int, ipv6: Int) { (v4.count, v6.count) }

    /// Whether `address` (already unmapped by the caller, or not: a v4-mapped address is
    /// unmapped here too) lies in one of the ranges.
    @inline(__always)
    func contains(_ address: IPAddress) -> Bool {
        let a = address.unmapped
        switch a.family {
        case .ipv4:
            return v4.isEmpty ? false : Self.search(v4, UInt32(truncatingIfNeeded: a.low))
        case .ipv6:
            return v6.isEmpty ? false : Self.search(v6, a.bits)
        }
    }

    private static func search<T: FixedWidthInteger>(_ ranges: [ClosedRange<T>], _ x: T) -> Bool {
        if ranges.count < linearScanLimit {
            for r in ranges {
                if x < r.lowerBound { return false }  // sorted: no later range can match
                if x <= r.upperBound { return true }
            }
            return false
        }
        // Last range whose lower bound is <= x.
        var lo = 0
        var hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].lowerBound <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 && x <= ranges[lo - 1].upperBound
    }

    private static func merged<T: FixedWidthInteger>(_ ranges: [ClosedRange<T>]) -> [ClosedRange<T>] {
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        var out: [ClosedRange<T>] = []
        out.reserveCapacity(sorted.count)
        for r in sorted {
            if let last = out.last, last.upperBound == T.max || r.lowerBound <= last.upperBound + 1 {
                if r.upperBound > last.upperBound {
                    out[out.count - 1] = last.lowerBound...r.upperBound
                }
            } else {
                out.append(r)
            }
        }
        return out
    }
}
