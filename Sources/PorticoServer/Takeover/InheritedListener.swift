/// A listening socket passed from a predecessor process (`TakeoverClient`), or offered
/// to a successor (`TakeoverServer`).
public struct InheritedListener: Sendable, Equatable {
    /// The listener it belongs to (`ListenerKey`: configured address, and name for port 0).
    public var key: ListenerKey
    /// The bound address, for logs (`127.0.0.1:8080`).
    public var address: String
    /// The file descriptor in this process.
    public var descriptor: CInt

    public init(key: ListenerKey, address: String, descriptor: CInt) {
        self.key = key
        self.address = address
        self.descriptor = descriptor
    }
}
