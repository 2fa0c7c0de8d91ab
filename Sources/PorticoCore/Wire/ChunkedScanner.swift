import NIOCore

/// Incremental scanner for the `chunked` transfer coding (RFC 9112 §7.1):
///
/// ```
/// chunked-body   = *chunk last-chunk trailer-section CRLF
/// chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
/// chunk-size     = 1*HEXDIG
/// last-chunk     = 1*("0") [ chunk-ext ] CRLF
/// chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
/// chunk-ext-val  = token / quoted-string
/// trailer-section = *( field-line CRLF )
/// ```
///
/// Why it exists: the proxy forwards bodies as raw buffer slices rather than NIO's decoded
/// parts, so a chunked body has to be *validated while it passes through*: a proxy that lets
/// a malformed size line, a bare LF or a mis-sized chunk through lets the next hop frame the
/// stream differently from us, which is request smuggling. Where the next hop cannot take
/// chunked (an HTTP/1.0 client) the same scanner decodes instead.
///
/// - ``Mode/validate``: the caller forwards the input unchanged; `scan` reports how far the
///   body goes (the reader index), whether it ended, or why it is invalid. No allocation and
///   no copy per call: chunk-data is skipped in bulk, framing bytes run through a byte-level
///   state machine.
/// - ``Mode/decode``: `scan` yields the chunk-data as slices of the input (no copy), then the
///   trailer fields and the end.
///
/// The input may be split anywhere (inside the size line, a CRLF, data or trailers): all
/// state lives in the struct. The scanner is at least as strict as NIO's llhttp in strict
/// mode (checked by a differential test); it is stricter in that it bounds the number of size
/// digits (leading zeros count) and the size to `Int.max`, rejects empty extension names and
/// values and a quote inside a token value, and rejects DEL in quoted extension values.
/// RFC 9110 §5.6.3 `BWS` around `;` and `=` is rejected by default, as llhttp does: a sender
/// "MUST NOT generate" it and accepting it only widens what the next hop might disagree on.
/// Pass `allowsExtensionWhitespace: true` to accept it as the grammar permits.
public struct ChunkedScanner: Sendable {
    public enum Mode: Sendable, Hashable {
        /// Check framing only; the caller forwards the raw bytes.
        case validate
        /// Yield chunk-data slices and parsed trailers.
        case decode
    }

    public let mode: Mode
    public let maxChunkSizeDigits: Int
    public let maxLineLength: Int
    public let maxTrailerBytes: Int
    public let allowsExtensionWhitespace: Bool

    /// Raw bytes of the body consumed so far (framing included).
    public private(set) var bytesScanned: Int = 0
    /// Chunk-data bytes seen so far (the decoded body length).
    public private(set) var dataBytes: Int = 0

    var state: State = .sizeStart
    /// The size being parsed, then the data bytes still due in the current chunk.
    var chunkSize: Int = 0
    var sizeDigits: Int = 0
    var lineLength: Int = 0
    var trailerBytes: Int = 0
    var failure: ChunkedScanError?
    // Decode mode only: the trailer field being read and the fields read so far.
    var fieldName: [UInt8] = []
    var fieldValue: [UInt8] = []
    var fieldValueEnd: Int = 0
    var trailers: [ChunkedTrailerField] = []

    /// - Parameters:
    ///   - maxChunkSizeDigits: most hex digits accepted in a chunk size, leading zeros
    ///     included (16 covers every 64-bit size).
    ///   - maxLineLength: most bytes in one size line, extensions and CRLF included.
    ///   - maxTrailerBytes: most bytes in the trailer section, its final CRLF included.
    ///   - allowsExtensionWhitespace: accept RFC 9110 `BWS` around `;` and `=` in extensions.
    public init(
        mode: Mode,
        maxChunkSizeDigits: Int = 16,
        maxLineLength: Int = 4096,
        maxTrailerBytes: Int = 16 * 1024,
        allowsExtensionWhitespace: Bool = false
    ) {
        precondition(maxChunkSizeDigits > 0 && maxLineLength > 2 && maxTrailerBytes >= 2)
        self.mode = mode
        self.maxChunkSizeDigits = maxChunkSizeDigits
        self.maxLineLength = maxLineLength
        self.maxTrailerBytes = maxTrailerBytes
        self.allowsExtensionWhitespace = allowsExtensionWhitespace
    }

    /// True once the whole body, trailers and final CRLF included, has been read.
    public var isComplete: Bool { state == .done }

    /// Makes the scanner ready for the next body, keeping its limits and mode (and any
    /// capacity of the decode-mode trailer storage).
    public mutating func reset() {
        state = .sizeStart
        bytesScanned = 0
        dataBytes = 0
        chunkSize = 0
        sizeDigits = 0
        lineLength = 0
        trailerBytes = 0
        failure = nil
        fieldName.removeAll(keepingCapacity: true)
        fieldValue.removeAll(keepingCapacity: true)
        fieldValueEnd = 0
        trailers.removeAll(keepingCapacity: true)
    }

    /// Feeds the next bytes of a chunked body and moves `buffer`'s reader index past the
    /// bytes consumed. Call again while it returns ``ChunkedScanEvent/data(_:)``; after
    /// ``ChunkedScanEvent/needMoreData`` the buffer is empty. After the end or an error,
    /// further calls consume nothing and repeat the outcome (without trailers).
    public mutating func scan(_ buffer: inout ByteBuffer) -> ChunkedScanEvent {
        switch state {
        case .done: return .end(trailers: [])
        case .failed: return .error(failure!)
        default: break
        }
        let step = buffer.withUnsafeReadableBytes { advance($0) }
        if step.outcome == .data {
            // The data is the tail of what was consumed; slice it before moving past it.
            let dataStart = buffer.readerIndex + step.consumed - step.dataLength
            let slice = buffer.getSlice(at: dataStart, length: step.dataLength)!
            buffer.moveReaderIndex(forwardBy: step.consumed)
            return .data(slice)
        }
        buffer.moveReaderIndex(forwardBy: step.consumed)
        switch step.outcome {
        case .needMore, .data:
            return .needMoreData
        case .end:
            guard mode == .decode, !trailers.isEmpty else { return .end(trailers: []) }
            let result = trailers
            trailers = []
            return .end(trailers: result)
        case .error:
            return .error(failure!)
        }
    }

    /// Validate-mode convenience: scans and returns the raw bytes that belong to this body
    /// (a slice of the input, no copy) with the outcome. On an error, `body` holds the bytes
    /// before the offending one.
    public mutating func scanRaw(_ buffer: inout ByteBuffer) -> (body: ByteBuffer, event: ChunkedScanEvent) {
        let input = buffer  // shares storage: moving the reader index does not copy
        let event = scan(&buffer)
        return (input.getSlice(at: input.readerIndex, length: buffer.readerIndex - input.readerIndex)!, event)
    }

    // MARK: - Driver

    struct Step {
        enum Outcome { case needMore, data, end, error }
        var consumed: Int
        var outcome: Outcome
        var dataLength: Int = 0
    }

    /// Runs the state machine over `bytes`. Chunk-data is skipped in bulk; in decode mode the
    /// loop stops after the first data run so the caller can slice it.
    private mutating func advance(_ bytes: UnsafeRawBufferPointer) -> Step {
        let count = bytes.count
        var i = 0
        while i < count {
            if state == .data {
                let take = Swift.min(chunkSize, count - i)
                chunkSize -= take
                dataBytes += take
                i += take
                if chunkSize == 0 { state = .dataCR }
                if mode == .decode {
                    bytesScanned += i
                    return Step(consumed: i, outcome: .data, dataLength: take)
                }
                continue
            }
            if let reason = step(bytes[i]) {
                failure = ChunkedScanError(reason: reason, bodyOffset: bytesScanned + i)
                state = .failed
                bytesScanned += i
                return Step(consumed: i, outcome: .error)
            }
            i += 1
            if state == .done {
                bytesScanned += i
                return Step(consumed: i, outcome: .end)
            }
        }
        bytesScanned += count
        return Step(consumed: count, outcome: .needMore)
    }
}
