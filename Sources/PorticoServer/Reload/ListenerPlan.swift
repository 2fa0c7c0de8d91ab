import PorticoCore

/// How a reload tells listeners apart: by configured address. A listener whose address
/// stays is the same listener (it keeps its socket and its open connections, whatever
/// else changed); a new address is a new listener; a vanished address is removed.
///
/// Port 0 ("any free port", tests and embedding) cannot identify a socket on its own, so
/// such listeners are told apart by address and name.
public struct ListenerKey: Hashable, Sendable, CustomStringConvertible {
    public let text: String

    public init(_ config: ListenerConfig) {
        let host = config.address.host.lowercased()
        if config.address.port == 0 {
            self.text = "\(host):0#\(config.name)"
        } else {
            self.text = "\(host):\(config.address.port)"
        }
    }

    public init(text: String) {
        self.text = text
    }

    public var description: String { self.text }
}

/// What a reload does to the listeners: pure logic, unit-tested without sockets.
struct ListenerPlan: Equatable {
    /// Listeners present before and after, with their new settings.
    var kept: [ListenerConfig] = []
    /// Listeners to bind.
    var added: [ListenerConfig] = []
    /// Listeners to stop and drain.
    var removed: [ListenerKey] = []

    /// - Parameters:
    ///   - current: the keys of the running listeners.
    ///   - next: the listeners of the new configuration, in order.
    init(current: [ListenerKey], next: [ListenerConfig]) {
        let running = Set(current)
        var seen = Set<ListenerKey>()
        for listener in next {
            let key = ListenerKey(listener)
            // Validation refuses duplicate addresses; a duplicate here is ignored rather
            // than bound twice.
            guard seen.insert(key).inserted else { continue }
            if running.contains(key) {
                self.kept.append(listener)
            } else {
                self.added.append(listener)
            }
        }
        self.removed = current.filter { !seen.contains($0) }
    }
}
