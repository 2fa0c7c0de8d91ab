/// A recency list with O(1) insert, touch, remove and "least recently used": an
/// intrusive doubly linked list whose nodes live in one array and link by index.
///
/// Why not a class-per-node list: an array of small structs keeps the nodes together
/// (no allocation or reference counting per entry), and freed slots are reused, so a
/// store at steady state (one eviction per insert) does not allocate at all.
///
/// Not thread-safe: the stores keep it inside their lock.
struct LRUList<Element> {
    /// A node's position in the list's storage; valid until that node is removed.
    typealias Handle = Int

    fileprivate struct Node {
        var element: Element?
        var previous: Handle
        var next: Handle
    }

    private static var none: Handle { -1 }

    private var nodes: [Node] = []
    private var freeHandles: [Handle] = []
    /// Most recently used end.
    private var head: Handle = LRUList.none
    /// Least recently used end.
    private var tail: Handle = LRUList.none
    private(set) var count = 0

    init() {}

    var isEmpty: Bool { self.count == 0 }

    /// Adds `element` as the most recently used and returns its handle.
    mutating func pushFront(_ element: Element) -> Handle {
        let handle: Handle
        if let reused = self.freeHandles.popLast() {
            handle = reused
            self.nodes[handle] = Node(element: element, previous: Self.none, next: self.head)
        } else {
            handle = self.nodes.count
            self.nodes.append(Node(element: element, previous: Self.none, next: self.head))
        }
        if self.head != Self.none { self.nodes[self.head].previous = handle }
        self.head = handle
        if self.tail == Self.none { self.tail = handle }
        self.count += 1
        return handle
    }

    /// Marks the node most recently used.
    mutating func moveToFront(_ handle: Handle) {
        guard handle != self.head else { return }
        self.unlink(handle)
        self.nodes[handle].previous = Self.none
        self.nodes[handle].next = self.head
        if self.head != Self.none { self.nodes[self.head].previous = handle }
        self.head = handle
        if self.tail == Self.none { self.tail = handle }
    }

    /// Removes the node and returns its element; its handle may be reused afterwards.
    @discardableResult
    mutating func remove(_ handle: Handle) -> Element {
        self.unlink(handle)
        let element = self.nodes[handle].element!
        self.nodes[handle].element = nil
        self.freeHandles.append(handle)
        self.count -= 1
        return element
    }

    /// The least recently used element, if any.
    var leastRecent: (handle: Handle, element: Element)? {
        guard self.tail != Self.none else { return nil }
        return (self.tail, self.nodes[self.tail].element!)
    }

    /// Elements from most to least recently used (for tests and diagnostics; O(n)).
    var elementsByRecency: [Element] {
        var result: [Element] = []
        result.reserveCapacity(self.count)
        var cursor = self.head
        while cursor != Self.none {
            result.append(self.nodes[cursor].element!)
            cursor = self.nodes[cursor].next
        }
        return result
    }

    private mutating func unlink(_ handle: Handle) {
        let previous = self.nodes[handle].previous
        let next = self.nodes[handle].next
        if previous != Self.none { self.nodes[previous].next = next } else { self.head = next }
        if next != Self.none { self.nodes[next].previous = previous } else { self.tail = previous }
    }
}

extension LRUList: Sendable where Element: Sendable {}
extension LRUList.Node: Sendable where Element: Sendable {}
