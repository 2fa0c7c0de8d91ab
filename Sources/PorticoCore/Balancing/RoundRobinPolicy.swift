/// `balance: round_robin`: servers in turn, skipping ineligible and already-tried ones.
/// Weights are ignored (use `weighted_round_robin` for those).
///
/// The cursor is the index where the next search starts; it moves just past the chosen
/// server, so a skipped server does not make its successor get two turns in a row.
public struct RoundRobinPolicy: BalancingPolicy {
    /// Where the next search starts (taken modulo the server count, which may change).
    public private(set) var cursor: Int

    public init(cursor: Int = 0) {
        self.cursor = max(0, cursor)
    }

    public mutating func pick<View: BalancerServerView, R: RandomNumberGenerator>(
        _ view: View, request: BalanceRequest, excluding tried: ServerSet, random: inout R
    ) -> Int? {
        let count = view.serverCount
        guard count > 0 else { return nil }
        var index = cursor < count ? cursor : cursor % count
        for _ in 0..<count {
            if view.isCandidate(index, excluding: tried) {
                cursor = index + 1 == count ? 0 : index + 1
                return index
            }
            index = index + 1 == count ? 0 : index + 1
        }
        return nil
    }
}
