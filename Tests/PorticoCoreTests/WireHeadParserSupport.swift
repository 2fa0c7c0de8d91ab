import NIOCore
import NIOEmbedded
import NIOHTTP1
import PorticoCore

/// What a parser made of some bytes, reduced to what the tests compare.
enum WireVerdict: Equatable, CustomStringConvertible {
    case incomplete
    case reject(status: Int, reason: String)
    case acceptRequest(method: String, uri: String, version: HTTPVersion, headers: [String], keepAlive: Bool)
    case acceptResponse(status: Int, version: HTTPVersion, headers: [String], keepAlive: Bool)

    var isAccept: Bool {
        switch self {
        case .acceptRequest, .acceptResponse: return true
        case .incomplete, .reject: return false
        }
    }

    var isReject: Bool {
        if case .reject = self { return true }
        return false
    }

    var description: String {
        switch self {
        case .incomplete: return "incomplete"
        case .reject(let status, let reason): return "reject \(status) \(reason)"
        case .acceptRequest(let m, let u, let v, let h, let k): return "accept \(m) \(u) \(v) \(h) keepAlive=\(k)"
        case .acceptResponse(let s, let v, let h, let k): return "accept \(s) \(v) \(h) keepAlive=\(k)"
        }
    }
}

/// `name: value` strings, so header lists compare with `==` and print readably.
func headerStrings(_ headers: HTTPHeaders) -> [String] { headers.map { "\($0.name): \($0.value)" } }
func headerStrings(_ list: [(String, String)]) -> [String] { list.map { "\($0.0): \($0.1)" } }

func byteBuffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBufferAllocator().buffer(bytes: bytes) }
func byteBuffer(_ text: String) -> ByteBuffer { ByteBufferAllocator().buffer(string: text) }

/// The production path of today: NIO's decoder (llhttp, strict mode) then the validator.
enum ProductionPath {
    /// NIO's decoder keeps trailing whitespace in field values (llhttp drops only the
    /// leading OWS), although RFC 9112 §5 excludes it from the value. The verdict is
    /// computed twice: on NIO's head as is (`raw`, today's behaviour) and with the values
    /// trimmed (`trimmed`, what the wire parser is compared with).
    static func request(_ bytes: [UInt8], limits: LimitsConfig = LimitsConfig()) -> (raw: WireVerdict, trimmed: WireVerdict) {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        try! channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
        // An error after the head (in the body that follows) does not concern the head.
        var decodeError: (any Error)?
        do {
            try channel.writeInbound(byteBuffer(bytes))
        } catch {
            decodeError = error
        }
        guard case .head(let head)? = try? channel.readInbound(as: HTTPServerRequestPart.self) else {
            if let decodeError {
                let verdict = WireVerdict.reject(status: 400, reason: "nio: \(decodeError)")
                return (verdict, verdict)
            }
            return (.incomplete, .incomplete)
        }
        var trimmedHead = head
        trimmedHead.headers = HTTPHeaders(head.headers.map { ($0.name, trimTrailingOWS($0.value)) })
        return (validate(head, limits), validate(trimmedHead, limits))
    }

    private static func validate(_ head: HTTPRequestHead, _ limits: LimitsConfig) -> WireVerdict {
        if let rejection = RequestValidator.validate(head, limits: limits) {
            return .reject(status: rejection.status, reason: rejection.reason)
        }
        return .acceptRequest(
            method: head.method.rawValue, uri: head.uri, version: head.version,
            headers: headerStrings(head.headers), keepAlive: head.isKeepAlive
        )
    }

    static func trimTrailingOWS(_ value: String) -> String {
        var end = value.utf8.endIndex
        while end > value.utf8.startIndex {
            let before = value.utf8.index(before: end)
            guard value.utf8[before] == 0x20 || value.utf8[before] == 0x09 else { break }
            end = before
        }
        return String(value.utf8[..<end])!
    }

    /// A response to a GET (the case where every framing rule applies).
    static func response(_ bytes: [UInt8]) -> (raw: WireVerdict, trimmed: WireVerdict) {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        try! channel.pipeline.syncOperations.addHandler(HTTPRequestEncoder())
        try! channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .forward))
        )
        try! channel.writeOutbound(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")))
        // An error after the head (in the body that follows) does not concern the head.
        var decodeError: (any Error)?
        do {
            try channel.writeInbound(byteBuffer(bytes))
        } catch {
            decodeError = error
        }
        guard case .head(let head)? = try? channel.readInbound(as: HTTPClientResponsePart.self) else {
            if let decodeError {
                let verdict = WireVerdict.reject(status: 502, reason: "nio: \(decodeError)")
                return (verdict, verdict)
            }
            return (.incomplete, .incomplete)
        }
        var trimmedHead = head
        trimmedHead.headers = HTTPHeaders(head.headers.map { ($0.name, trimTrailingOWS($0.value)) })
        return (validate(head), validate(trimmedHead))
    }

    private static func validate(_ head: HTTPResponseHead) -> WireVerdict {
        if let reason = ResponseValidator.validate(head, requestMethod: .GET) {
            return .reject(status: 502, reason: reason)
        }
        return .acceptResponse(
            status: Int(head.status.code), version: head.version, headers: headerStrings(head.headers),
            keepAlive: head.isKeepAlive
        )
    }
}

/// The new path: the wire parsers, fed the bytes in one buffer.
enum WirePath {
    static func request(_ bytes: [UInt8], limits: LimitsConfig = LimitsConfig()) -> WireVerdict {
        var parser = HTTP1RequestHeadParser(limits: limits)
        var buffer = byteBuffer(bytes)
        return verdict(parser.parse(&buffer))
    }

    static func response(_ bytes: [UInt8]) -> WireVerdict {
        var parser = HTTP1ResponseHeadParser()
        var buffer = byteBuffer(bytes)
        return verdict(parser.parse(&buffer), requestMethod: .GET)
    }

    static func verdict(_ result: HeadParseResult<ParsedRequestHead>) -> WireVerdict {
        switch result {
        case .incomplete: return .incomplete
        case .invalid(let error): return .reject(status: error.status, reason: error.reason)
        case .complete(let head):
            return .acceptRequest(
                method: head.method.rawValue, uri: head.target, version: head.version,
                headers: headerStrings(head.makeHeaderList()), keepAlive: head.isKeepAlive
            )
        }
    }

    static func verdict(_ result: HeadParseResult<ParsedResponseHead>, requestMethod: HTTPMethod) -> WireVerdict {
        switch result {
        case .incomplete: return .incomplete
        case .invalid(let error): return .reject(status: error.status, reason: error.reason)
        case .complete(let head):
            guard head.framing(forRequestMethod: requestMethod) != nil else {
                return .reject(status: 502, reason: transferEncodingEndsWithComma(head) ? "empty final element in Transfer-Encoding" : "unsupported Transfer-Encoding")
            }
            return .acceptResponse(
                status: head.status, version: head.version, headers: headerStrings(head.makeHeaderList()),
                // NIO's `isKeepAlive` reads only the version and Connection, like this one;
                // `isKeepAlive(forRequestMethod:)` (false for a body until close) is unit-tested.
                keepAlive: head.isKeepAlive
            )
        }
    }
}

/// Whether a Transfer-Encoding value ends with an empty element (`chunked,`).
func transferEncodingEndsWithComma(_ head: ParsedResponseHead) -> Bool {
    var index = head.fieldIndex(named: "transfer-encoding")
    while let i = index {
        if head.value(at: i).last == 0x2C { return true }
        index = head.fieldIndex(named: "transfer-encoding", from: i + 1)
    }
    return false
}

/// SplitMix64: small, fast, and the same sequence on every platform for a given seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
