import NIOHTTP1
import PorticoCore
import Testing

struct HTTPHeaderRulesTests {
    @Test func removeThenSetThenAdd() {
        let rules = HeaderRules(
            set: [.init(name: "X-Env", value: "prod")],
            add: [.init(name: "x-env", value: "extra"), .init(name: "X-Trace", value: "1")],
            remove: ["X-Env", "server", "X-Absent"]
        )
        var h = HTTPHeaders([("x-env", "dev"), ("X-ENV", "dev2"), ("Server", "apache"), ("Keep", "me")])
        rules.apply(to: &h)
        #expect(h["X-Env"] == ["prod", "extra"])
        #expect(h["X-Trace"] == ["1"])
        #expect(!h.contains(name: "Server"))
        #expect(h["Keep"] == ["me"])
    }

    @Test func removeDoesNotUndoSetOrAdd() {
        // A name both removed and added ends up with the added value: removal runs first.
        let rules = HeaderRules(add: [.init(name: "X-A", value: "new")], remove: ["x-a"])
        var h = HTTPHeaders([("X-A", "old")])
        rules.apply(to: &h)
        #expect(h["X-A"] == ["new"])
    }

    @Test func emptyRulesLeaveHeadersAlone() {
        var h = HTTPHeaders([("A", "1")])
        HeaderRules().apply(to: &h)
        #expect(h.map(\.name) == ["A"])
    }
}
