import NIOCore
import NIOHTTP1
import PorticoCore

/// Reads a health-probe response from raw bytes and judges it against a
/// `HealthCheckConfig`: the status must be in `expect_status`, and when `expect_body` is set
/// the first 64 KiB of the (decoded) body must contain that text.
///
/// It uses the same strict head parser and chunked scanner as the data path
/// (`HTTP1ResponseHeadParser`, `ChunkedScanner`), so a server whose responses the proxy
/// would refuse as malformed also fails its health check instead of looking healthy.
/// The body is only read when it is needed (`expect_body`), and never past 64 KiB:
/// a probe must stay cheap for both sides.
///
/// No I/O: the channel handler feeds it bytes and the end of the stream.
struct ProbeResponseReader {
    /// Most body bytes examined for `expect_body` (the config documents "first 64 KiB").
    static let maxBodyBytes = 64 * 1024

    enum Outcome: Equatable {
        /// Feed more bytes (or the end of the stream).
        case needMore
        /// The verdict; nothing more needs to be read.
        case done(ProbeResult)
    }

    private enum Phase {
        case head
        case contentLength(remaining: Int)
        case chunked
        case untilClose
        case finished
    }

    private let expectStatus: ClosedRange<Int>
    private let expectBody: [UInt8]?
    private let requestMethod: HTTPMethod
    private var phase = Phase.head
    private var parser = HTTP1ResponseHeadParser()
    private var scanner = ChunkedScanner(mode: .decode)
    private var pending = ByteBuffer()
    private var status = 0
    private var body: [UInt8] = []

    init(config: HealthCheckConfig) {
        self.expectStatus = config.expectStatus
        self.expectBody = config.expectBody.map { Array($0.utf8) }
        self.requestMethod = HTTPMethod(rawValue: config.method)
    }

    /// Feeds the next bytes received.
    mutating func feed(_ bytes: inout ByteBuffer) -> Outcome {
        if pending.readableBytes == 0 {
            pending = bytes
        } else {
            pending.writeBuffer(&bytes)
        }
        bytes.moveReaderIndex(to: bytes.writerIndex)
        while true {
            switch phase {
            case .finished:
                return .needMore
            case .head:
                switch parser.parse(&pending) {
                case .incomplete:
                    return .needMore
                case .invalid(let error):
                    return finish(.fail("invalid response: \(error.reason)"))
                case .complete(let head):
                    if let outcome = headReceived(head) { return outcome }
                }
            case .contentLength(let remaining):
                guard pending.readableBytes > 0 else { return .needMore }
                let take = min(remaining, pending.readableBytes)
                let slice = pending.readSlice(length: take)!
                if let outcome = appendBody(slice) { return outcome }
                if take == remaining { return finish(judgeBody()) }
                phase = .contentLength(remaining: remaining - take)
            case .chunked:
                guard pending.readableBytes > 0 else { return .needMore }
                switch scanner.scan(&pending) {
                case .needMoreData:
                    return .needMore
                case .data(let slice):
                    if let outcome = appendBody(slice) { return outcome }
                case .end:
                    return finish(judgeBody())
                case .error(let error):
                    return finish(.fail("invalid chunked body: \(error)"))
                }
            case .untilClose:
                guard pending.readableBytes > 0 else { return .needMore }
                let all = pending.readSlice(length: pending.readableBytes)!
                if let outcome = appendBody(all) { return outcome }
                return .needMore
            }
        }
    }

    /// The connection closed. Returns the verdict, unless one was already given.
    mutating func endOfInput() -> ProbeResult? {
        switch phase {
        case .finished:
            return nil
        case .head:
            phase = .finished
            return .fail("connection closed before a complete response head")
        case .contentLength, .chunked:
            phase = .finished
            return .fail("connection closed before the end of the body")
        case .untilClose:
            // RFC 9112 §6.3 item 8: the close ends a body without framing.
            phase = .finished
            return judgeBody()
        }
    }

    private mutating func headReceived(_ head: ParsedResponseHead) -> Outcome? {
        parser = HTTP1ResponseHeadParser()
        if head.status < 200 {
            if head.status == 101 { return finish(.fail("unexpected 101 Switching Protocols")) }
            return nil  // interim response; the final one follows
        }
        status = head.status
        guard expectStatus.contains(head.status) else {
            return finish(.fail("status \(head.status) not in \(expectStatus.lowerBound)-\(expectStatus.upperBound)"))
        }
        guard expectBody != nil else { return finish(.pass("HTTP \(head.status)")) }
        guard let framing = head.framing(forRequestMethod: requestMethod) else {
            return finish(.fail("unsupported transfer coding"))
        }
        switch framing {
        case .none, .contentLength(0):
            return finish(judgeBody())
        case .contentLength(let length):
            phase = .contentLength(remaining: length)
        case .chunked:
            phase = .chunked
        case .untilClose:
            phase = .untilClose
        }
        return nil
    }

    /// Keeps body bytes up to the limit; returns the verdict once the limit is reached.
    private mutating func appendBody(_ slice: ByteBuffer) -> Outcome? {
        let room = Self.maxBodyBytes - body.count
        let take = min(room, slice.readableBytes)
        if take > 0 {
            slice.withUnsafeReadableBytes { body.append(contentsOf: $0.prefix(take)) }
        }
        if body.count >= Self.maxBodyBytes { return finish(judgeBody()) }
        return nil
    }

    private func judgeBody() -> ProbeResult {
        guard let expected = expectBody else { return .pass("HTTP \(status)") }
        guard Self.contains(body, expected) else {
            return .fail("body does not contain \"\(String(decoding: expected, as: UTF8.self))\"")
        }
        return .pass("HTTP \(status)")
    }

    private mutating func finish(_ result: ProbeResult) -> Outcome {
        phase = .finished
        return .done(result)
    }

    /// Whether `needle` occurs in `haystack` as bytes (an empty needle always does).
    /// A plain scan: the haystack is at most 64 KiB and the needle short.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        let first = needle[0]
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count, haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}
