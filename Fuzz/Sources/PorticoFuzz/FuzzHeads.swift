import NIOCore
import NIOHTTP1
import PorticoCore

/// Invariants of `HTTP1RequestHeadParser` / `HTTP1ResponseHeadParser` on arbitrary bytes:
/// split reading (bytes appended to the same buffer, as a connection does) equals one-shot
/// reading; a complete head is a prefix of the input whose bytes were consumed exactly; and
/// a chunked body after it goes through the chunked scanner checks.
enum FuzzHeads {
    /// What a parse came to, comparable across feeding patterns. A refusal is compared as a
    /// refusal only: how far the parser had read decides which of several faults it names
    /// first, so the reason and even the status may differ (`49\n` is a "bare LF" at once
    /// but a "malformed status line" byte by byte; an over-long request line that also holds
    /// a bare LF is 400 at once but 414 when the limit is hit before the LF arrives).
    enum Summary: Equatable {
        case incomplete
        case invalid
        case complete(bytes: ByteBuffer, fields: [HeaderFieldSlot], detail: String, leftover: Int)
    }

    static func checkRequest(_ input: FuzzInput) {
        let limits = input.knob & 8 == 8
            ? LimitsConfig(maxRequestLine: 64, maxHeaderBytes: 128, maxHeaderCount: 4)
            : LimitsConfig()
        func summarize(_ result: HeadParseResult<ParsedRequestHead>, _ buffer: ByteBuffer) -> Summary {
            switch result {
            case .incomplete: return .incomplete
            case .invalid: return .invalid
            case .complete(let head):
                let detail = "\(head.method) \(head.targetRange) \(head.version) \(head.framing)"
                return .complete(bytes: head.bytes, fields: head.fields, detail: detail, leftover: buffer.readableBytes)
            }
        }
        let whole = parse(input, summarize) { var p = HTTP1RequestHeadParser(limits: limits); return { p.parse(&$0) } }
        if case .complete(_, _, let detail, let leftover) = whole, detail.hasSuffix("chunked") {
            checkBody(input, leftover: leftover)
        }
    }

    static func checkResponse(_ input: FuzzInput) {
        let small = input.knob & 8 == 8
        func summarize(_ result: HeadParseResult<ParsedResponseHead>, _ buffer: ByteBuffer) -> Summary {
            switch result {
            case .incomplete: return .incomplete
            case .invalid: return .invalid
            case .complete(let head):
                let framing = head.framing(forRequestMethod: .GET).map { "\($0)" } ?? "refused"
                let detail = "\(head.version) \(head.status) \(head.reasonRange) \(framing)"
                return .complete(bytes: head.bytes, fields: head.fields, detail: detail, leftover: buffer.readableBytes)
            }
        }
        let whole = parse(input, summarize) {
            var p = small ? HTTP1ResponseHeadParser(maxHeaderBytes: 128, maxFieldCount: 4) : HTTP1ResponseHeadParser()
            return { p.parse(&$0) }
        }
        if case .complete(_, _, let detail, let leftover) = whole, detail.hasSuffix("chunked") {
            checkBody(input, leftover: leftover)
        }
    }

    /// Parses one-shot, split in two, and (short inputs) byte by byte with a fresh parser
    /// from `make` each time; requires the same summary; returns it.
    private static func parse<Head>(
        _ input: FuzzInput,
        _ summarize: (HeadParseResult<Head>, ByteBuffer) -> Summary,
        _ make: () -> (inout ByteBuffer) -> HeadParseResult<Head>
    ) -> Summary {
        func feed(_ pieces: [ByteBuffer]) -> Summary {
            let parse = make()
            var buffer = ByteBuffer()
            var result = HeadParseResult<Head>.incomplete
            var unfed = 0  // bytes of the pieces never handed over (after a verdict)
            for (index, piece) in pieces.enumerated() {
                var next = piece
                buffer.writeBuffer(&next)
                let before = buffer
                result = parse(&buffer)
                guard case .incomplete = result else {
                    unfed = pieces[(index + 1)...].reduce(0) { $0 + $1.readableBytes }
                    break
                }
                require(buffer == before, "incomplete parse moved the buffer")
            }
            var remaining = buffer
            if unfed > 0 { remaining.writeBytes(repeatElement(UInt8(0), count: unfed)) }
            let summary = summarize(result, remaining)
            if case .complete(let bytes, _, _, let leftover) = summary {
                require(bytes.readableBytes + leftover <= input.count, "head longer than the input")
                require(bytes.readableBytes >= 4, "head shorter than CRLFCRLF")
                let end = bytes.readableBytesView.suffix(4)
                require(Array(end) == [13, 10, 13, 10], "head does not end with CRLF CRLF")
            }
            // An invalid parser stays invalid.
            if case .invalid = result {
                var rest = buffer
                if case .invalid = parse(&rest) {} else { require(false, "invalid parser recovered") }
            }
            return summary
        }
        let whole = feed([input.whole])
        let split = feed([input.head, input.tail])
        require(split == whole, "head split at \(input.split): \(split) vs \(whole)")
        if input.count <= 256 {
            let trickle = feed(input.bytes.map { ByteBuffer(bytes: [$0]) })
            require(trickle == whole, "head byte by byte: \(trickle) vs \(whole)")
        }
        return whole
    }

    /// The bytes after a head that declared chunked framing, through the chunked checks.
    private static func checkBody(_ input: FuzzInput, leftover: Int) {
        let body = UnsafeBufferPointer(rebasing: input.bytes[(input.count - leftover)...])
        FuzzChunked.check(FuzzInput(body))
    }
}
