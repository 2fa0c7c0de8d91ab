import NIOHTTP1
import PorticoCore
import Testing

/// Generated heads: mostly valid ones with random methods, targets, names, values and
/// whitespace, half of them then damaged by one or two mutations. Deterministic (seeded).
struct WireHeadGenerator {
    var rng: SeededGenerator

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &rng) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

    static let methods = [
        "GET", "GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "PROPFIND",
        "MKCOL", "SOURCE", "PURGE", "REPORT", "UNSUBSCRIBE", "QUERY", "TRACE", "M-SEARCH", "get", "FOO",
    ]
    static let tchars = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~".utf8)
    static let pathChars = Array("abcxyzABC019-._~!$&'()*+,;=:@/%?#\"<>[]\\^`{|}".utf8)
    static let hosts = ["example.com", "a", "EXAMPLE.org.", "127.0.0.1", "[::1]", "[2001:db8::1]", "h-1.example:8080", "x:80", "a.b.c:"]
    static let fieldNames = [
        "Accept", "User-Agent", "X-Request-Id", "Cookie", "accept-encoding", "X-a", "Via", "Forwarded",
        "Content-Type", "Authorization", "Cache-Control", "Trailer", "TE", "Upgrade", "Keep-Alive",
    ]

    mutating func token(_ length: ClosedRange<Int>) -> [UInt8] {
        (0..<int(length)).map { _ in pick(Self.tchars) }
    }

    mutating func value() -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<int(0...24) {
            switch int(0...19) {
            case 0: bytes.append(0x20)
            case 1: bytes.append(0x09)
            case 2: bytes.append(UInt8(int(0x80...0xFF)))
            default: bytes.append(UInt8(int(0x21...0x7E)))
            }
        }
        return bytes
    }

    mutating func ows() -> [UInt8] {
        switch int(0...5) {
        case 0: return []
        case 1: return [0x20, 0x20]
        case 2: return [0x09]
        default: return [0x20]
        }
    }

    mutating func target(method: String) -> String {
        switch int(0...19) {
        case 0: return method == "OPTIONS" ? "*" : "/"
        case 1: return "http://\(pick(Self.hosts))/p?q=1"
        case 2: return "HTTPS://\(pick(Self.hosts))"
        case 3: return pick(["example.com:443", "ftp://a/b", "//x", "a/b", "*", "http://u@h/", "http://h:99999/"])
        default:
            var path = "/"
            for _ in 0..<int(0...30) { path.append(Character(Unicode.Scalar(pick(Self.pathChars)))) }
            return path
        }
    }

    /// One request head as bytes.
    mutating func request() -> [UInt8] {
        let method = pick(Self.methods)
        var out = Array("\(method) \(target(method: method)) \(chance(85) ? "HTTP/1.1" : "HTTP/1.0")\r\n".utf8)
        var lines: [[UInt8]] = []
        if chance(92) { lines.append(Array("Host:".utf8) + ows() + Array(pick(Self.hosts).utf8) + (chance(10) ? ows() : [])) }
        for _ in 0..<int(0...6) {
            let name = chance(70) ? Array(pick(Self.fieldNames).utf8) : token(1...12)
            lines.append(name + [0x3A] + ows() + value() + ows())
        }
        switch int(0...9) {
        case 0, 1: lines.append(Array("Content-Length:".utf8) + ows() + Array("\(int(0...99999))".utf8) + (chance(10) ? ows() : []))
        case 2: lines.append(Array("Transfer-Encoding: \(pick(["chunked", "Chunked", "gzip, chunked", "chunked, chunked", "identity", "chunked;q=1", " chunked ", "chunked,", ", chunked", "gzip,,chunked", ""]))".utf8))
        case 3: lines.append(Array("Content-Length: \(pick(["5, 5", "+5", "0x5", "", "007", "5 "]))".utf8))
        default: break
        }
        if chance(30) {
            lines.append(Array("Connection: \(pick(["close", "keep-alive", "Keep-Alive", "upgrade", "close, x-foo", "x-foo", "keep-alive, close", "TE"]))".utf8))
        }
        if chance(10) { lines.append(Array("Expect: 100-continue".utf8)) }
        for i in 0..<lines.count where chance(30) { lines.swapAt(i, int(0...(lines.count - 1))) }
        for line in lines { out += line + [0x0D, 0x0A] }
        return out + [0x0D, 0x0A]
    }

    /// One response head as bytes.
    mutating func response() -> [UInt8] {
        let status = pick([200, 200, 201, 204, 301, 304, 404, 500, 503, 100, 103, 299, 599, 999])
        let version = chance(85) ? "HTTP/1.1" : "HTTP/1.0"
        let reason = pick([" OK", " ", "", " Not Found", " weird\treason", " r\u{E9}sum\u{E9}"])
        var out = Array("\(version) \(status)\(reason)\r\n".utf8)
        var lines: [[UInt8]] = []
        for _ in 0..<int(0...6) {
            let name = chance(70) ? Array(pick(Self.fieldNames).utf8) : token(1...12)
            lines.append(name + [0x3A] + ows() + value() + ows())
        }
        switch int(0...9) {
        case 0, 1, 2: lines.append(Array("Content-Length: \(int(0...99999))".utf8))
        case 3, 4: lines.append(Array("Transfer-Encoding: \(pick(["chunked", "chunked", "gzip, chunked", "gzip", "chunked, chunked", "chunked,", ", chunked", ""]))".utf8))
        case 5: lines.append(Array("Content-Length: \(pick(["5, 5", "+5", "", "1 2"]))".utf8))
        default: break
        }
        if chance(30) { lines.append(Array("Connection: \(pick(["close", "keep-alive", "x, close", "upgrade"]))".utf8)) }
        for line in lines { out += line + [0x0D, 0x0A] }
        return out + [0x0D, 0x0A]
    }

    /// Damages a head the way broken or hostile peers do.
    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        let body = max(1, bytes.count - 4)  // keep most mutations inside the head
        switch int(0...11) {
        case 0: bytes.insert(pick([0x0D, 0x0A, 0x00, 0x20, 0x09, 0x7F, 0x01, 0x3A, 0x0B]), at: int(0...body))
        case 1: bytes.remove(at: int(0...(body - 1)))
        case 2:  // a CRLF becomes a bare LF
            let crs = bytes.indices.filter { bytes[$0] == 0x0D }
            if let cr = crs.isEmpty ? nil : pick(crs) { bytes.remove(at: cr) }
        case 3:  // duplicate a framing or Host line
            let extra = pick(["Content-Length: 5", "content-length: 5", "Transfer-Encoding: chunked", "Host: a", "host: b", "Content-Length: 0"])
            bytes.insert(contentsOf: Array("\(extra)\r\n".utf8), at: firstLineEnd(bytes))
        case 4:  // obs-fold
            bytes.insert(contentsOf: [0x0D, 0x0A, pick([0x20, 0x09])], at: lastFieldEnd(bytes))
        case 5:  // another version
            replaceVersion(&bytes, with: pick(["HTTP/1.2", "HTTP/2.0", "HTTP/0.9", "HTTP/1.", "http/1.1", "HTTP/11", "HTTP/1.1 ", "HTTPS/1.1", "HTTP/10.1"]))
        case 6: bytes.removeLast(int(1...min(bytes.count, 30)))  // truncated
        case 7:  // whitespace before a colon
            if let colon = bytes.firstIndex(of: 0x3A), colon > firstLineEnd(bytes) { bytes.insert(pick([0x20, 0x09]), at: colon) }
        case 8: bytes.insert(contentsOf: [0x0D, 0x0A], at: 0)  // leading empty line
        case 9: bytes.insert(0x20, at: int(0...(firstLineEnd(bytes) - 1)))  // extra SP in the start line
        case 10: bytes.insert(contentsOf: Array("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n".utf8), at: firstLineEnd(bytes))
        default: bytes[int(0...(body - 1))] = UInt8(int(0...255))  // any byte
        }
        return bytes
    }

    private func firstLineEnd(_ bytes: [UInt8]) -> Int {
        (bytes.firstIndex(of: 0x0A).map { $0 + 1 }) ?? bytes.count
    }

    private func lastFieldEnd(_ bytes: [UInt8]) -> Int { max(0, bytes.count - 4) }

    private func replaceVersion(_ bytes: inout [UInt8], with version: String) {
        guard let start = firstIndex(of: Array("HTTP/1.".utf8), in: bytes) else { return }
        bytes.replaceSubrange(start..<min(bytes.count, start + 8), with: Array(version.utf8))
    }

    private func firstIndex(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        return (0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle }
    }
}

/// Why the wire parser may refuse a head that today's production path accepts. Each is
/// deliberate and documented on the parsers; anything else fails the test.
enum StricterCategory: String, CaseIterable {
    case bareLF = "bare LF or CR in head"
    case multipleContentLength = "multiple Content-Length fields"
    case obsFold = "obsolete line folding"
    /// llhttp accepts several SPs between request-line parts (RFC 9112 §3 MAY).
    case requestLineWhitespace = "malformed request line"
    /// llhttp accepts controls (even NUL and bare CR) in a reason phrase; RFC 9112 §4 does not.
    case reasonPhraseControl = "control byte in reason phrase"
    /// `Transfer-Encoding: chunked,` in a response with a body: NIO reads it until close
    /// while `ResponseValidator` (which skips empty elements) takes it as chunked; the wire
    /// parser refuses the ambiguity (502). Requests with it are refused by both.
    case transferEncodingEmptyFinalElement = "empty final element in Transfer-Encoding"
}

/// Where the wire parser may accept what production refuses (documented on the parsers).
enum LenientCategory: String, CaseIterable {
    /// llhttp knows a fixed list of methods; RFC 9110 §9.1 allows any token, and a proxy
    /// forwards extension methods (`QUERY` is one llhttp 9.3 lacks).
    case extensionMethod
    /// Not a difference of verdict on RFC terms: NIO keeps trailing OWS in values, so today
    /// `Host: a ` and `Content-Length: 5 ` are refused by the validators (a production bug);
    /// the wire parser trims OWS as RFC 9112 §5 says. Counted, then compared as trimmed.
    case trailingWhitespace
    /// Not a verdict difference: NIO turns `M-SEARCH` into `.MSEARCH`, whose raw value
    /// `MSEARCH` is what production forwards upstream (a production bug); the wire parser
    /// keeps `M-SEARCH`.
    case methodRenamedByNIO
}

struct DifferentialSummary {
    var cases = 0
    var bothAccept = 0
    var bothReject = 0
    var bothIncomplete = 0
    var stricter: [String: Int] = [:]
    var lenient: [String: Int] = [:]
    var failures: [String] = []

    mutating func fail(_ message: String) {
        if failures.count < 15 { failures.append(message) }
    }
}

@Suite("Wire head parser: differential against NIO + validators")
struct WireHeadParserDifferentialTests {
    static func printable(_ bytes: [UInt8]) -> String {
        var s = ""
        for b in bytes {
            switch b {
            case 0x0D: s += "\\r"
            case 0x0A: s += "\\n"
            case 0x20...0x7E: s.append(Character(Unicode.Scalar(b)))
            default: s += "\\x" + String(b, radix: 16)
            }
        }
        return s
    }

    static func compare(
        _ bytes: [UInt8], production both: (raw: WireVerdict, trimmed: WireVerdict), wire: WireVerdict,
        into summary: inout DifferentialSummary
    ) {
        summary.cases += 1
        let production = both.trimmed
        if both.raw.isReject, production.isAccept {
            // Production refuses only because NIO left trailing OWS in a value (Host, Content-Length).
            summary.lenient[LenientCategory.trailingWhitespace.rawValue, default: 0] += 1
        }
        switch (production, wire) {
        case (.incomplete, .incomplete): summary.bothIncomplete += 1
        case (.reject, .reject): summary.bothReject += 1
        case (.acceptRequest("MSEARCH", let u, let v, let h, let k), .acceptRequest("M-SEARCH", _, _, _, _)):
            // NIO renames the registered method M-SEARCH to its own `.MSEARCH` ("MSEARCH").
            summary.lenient[LenientCategory.methodRenamedByNIO.rawValue, default: 0] += 1
            if wire != .acceptRequest(method: "M-SEARCH", uri: u, version: v, headers: h, keepAlive: k) {
                summary.fail("different heads for \(printable(bytes))\n  production: \(production)\n  wire:       \(wire)")
            }
        case (.acceptRequest, .acceptRequest), (.acceptResponse, .acceptResponse):
            if production == wire {
                summary.bothAccept += 1
            } else {
                summary.fail("different heads for \(printable(bytes))\n  production: \(production)\n  wire:       \(wire)")
            }
        case (.acceptRequest, .reject(_, let reason)), (.acceptResponse, .reject(_, let reason)):
            if let category = StricterCategory(rawValue: reason) {
                summary.stricter[category.rawValue, default: 0] += 1
            } else {
                summary.fail("wire rejects (\(reason)) what production accepts: \(printable(bytes))")
            }
        case (.reject, .acceptRequest(let m, _, _, _, _)) where !isNamedByLLHTTP(m):
            summary.lenient[LenientCategory.extensionMethod.rawValue, default: 0] += 1
        default:
            summary.fail("production \(production) but wire \(wire): \(printable(bytes))")
        }
    }

    /// Compares the two paths on `bytes`. When one side stopped early (a truncated head,
    /// or a refusal before the end), the verdicts on the head completed with an empty line
    /// are compared instead.
    static func check(_ input: [UInt8], isResponse: Bool, into summary: inout DifferentialSummary) {
        var bytes = input
        func run() -> ((raw: WireVerdict, trimmed: WireVerdict), WireVerdict) {
            isResponse
                ? (ProductionPath.response(bytes), WirePath.response(bytes))
                : (ProductionPath.request(bytes), WirePath.request(bytes))
        }
        var (production, wire) = run()
        if production.trimmed == .incomplete || wire == .incomplete {
            bytes += [0x0D, 0x0A, 0x0D, 0x0A]
            (production, wire) = run()
        }
        compare(bytes, production: production, wire: wire, into: &summary)
    }

    static func isNamedByLLHTTP(_ method: String) -> Bool {
        ["GET", "PUT", "ACL", "HEAD", "POST", "COPY", "LOCK", "MOVE", "BIND", "LINK", "PATCH", "TRACE", "MKCOL", "MERGE",
         "PURGE", "NOTIFY", "SEARCH", "UNLOCK", "REBIND", "UNBIND", "REPORT", "DELETE", "UNLINK", "CONNECT", "M-SEARCH",
         "OPTIONS", "PROPFIND", "CHECKOUT", "PROPPATCH", "SUBSCRIBE", "MKCALENDAR", "MKACTIVITY", "UNSUBSCRIBE", "SOURCE",
         "PRI", "DESCRIBE", "ANNOUNCE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER",
         "REDIRECT", "RECORD", "FLUSH", "QUERY"].contains(method)
    }

    static func report(_ label: String, _ summary: DifferentialSummary) {
        print("""
            [wire differential] \(label): \(summary.cases) cases; both accept \(summary.bothAccept), \
            both reject \(summary.bothReject), both incomplete \(summary.bothIncomplete); \
            stricter than production \(summary.stricter.sorted { $0.key < $1.key }); \
            more lenient \(summary.lenient.sorted { $0.key < $1.key })
            """)
        for failure in summary.failures { print("[wire differential] FAIL \(failure)") }
    }

    @Test func requestsAgreeWithProduction() {
        var generator = WireHeadGenerator(seed: 0x5EED_0001)
        var summary = DifferentialSummary()
        for _ in 0..<3000 {
            var bytes = generator.request()
            if generator.chance(50) { bytes = generator.mutate(bytes) }
            if generator.chance(15) { bytes = generator.mutate(bytes) }
            Self.check(bytes, isResponse: false, into: &summary)
        }
        Self.report("requests", summary)
        #expect(summary.failures.isEmpty)
        #expect(summary.bothAccept > 1000)
        #expect(summary.bothReject > 1000)
    }

    @Test func responsesAgreeWithProduction() {
        var generator = WireHeadGenerator(seed: 0x5EED_0002)
        var summary = DifferentialSummary()
        for _ in 0..<1500 {
            var bytes = generator.response()
            if generator.chance(50) { bytes = generator.mutate(bytes) }
            Self.check(bytes, isResponse: true, into: &summary)
        }
        Self.report("responses", summary)
        #expect(summary.failures.isEmpty)
        #expect(summary.bothAccept > 500)
        #expect(summary.bothReject > 500)
    }
}
