/// A set of server indices (the servers a request has already tried).
///
/// Inline for the first 64 servers, so the common case allocates nothing.
public struct ServerSet: Sendable, Equatable {
    private var low: UInt64 = 0
    private var high: [UInt64] = []

    public init() {}

    public var isEmpty: Bool { self.low == 0 && self.high.allSatisfy { $0 == 0 } }

    public var count: Int {
        self.low.nonzeroBitCount + self.high.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    public func contains(_ index: Int) -> Bool {
        if index < 64 { return self.low & (1 << UInt64(index)) != 0 }
        let word = index / 64 - 1
        guard word < self.high.count else { return false }
        return self.high[word] & (1 << UInt64(index % 64)) != 0
    }

    public mutating func insert(_ index: Int) {
        if index < 64 {
            self.low |= 1 << UInt64(index)
            return
        }
        let word = index / 64 - 1
        while self.high.count <= word { self.high.append(0) }
        self.high[word] |= 1 << UInt64(index % 64)
    }

    public mutating func removeAll() {
        self.low = 0
        if !self.high.isEmpty { self.high.removeAll(keepingCapacity: true) }
    }
}
