import Foundation
import NIOCore

/// Incremental parser for exactly one HTTP/1.1 response. It consumes bytes from the front of
/// a buffer as they arrive, leaving whatever follows the response in place (pipelining), and
/// folds body bytes into a digest so large bodies need not be kept.
struct RawResponseParser {
    /// Options for one response read.
    struct Options {
        /// The request was `HEAD`: the response has no body whatever its headers say.
        var requestWasHead = false
        /// Return a 1xx response as the result instead of skipping over it.
        var returnInformational = false
        /// Body bytes kept in ``RawResponse/body``.
        var maxRetainedBodyBytes = 64 << 20
        /// Longest acceptable response head.
        var maxHeadBytes = 64 << 10
    }

    private enum State {
        case head, fixed(remaining: Int), chunkSize, chunkData(remaining: Int), chunkDataEnd, trailers, untilClose
    }

    private let options: Options
    private var state = State.head
    private var response: RawResponse?
    private var informational: [RawResponse] = []

    init(options: Options) { self.options = options }

    /// Status of the response head parsed so far, for error messages.
    var partialStatus: Int? { response?.status }
    /// Body bytes consumed so far, for error messages.
    var partialBodyBytes: Int { response?.bodyDigest.byteCount ?? 0 }

    /// Consumes what it can from `buffer`. Returns the response once complete; `nil` if more
    /// bytes are needed. `eof` says no more bytes will come (completes until-close bodies).
    mutating func parse(_ buffer: inout ByteBuffer, eof: Bool) throws -> RawResponse? {
        while true {
            switch state {
            case .head:
                guard let end = Self.find([13, 10, 13, 10], in: buffer) else {
                    if buffer.readableBytes > options.maxHeadBytes { throw RawHTTPClientError.malformedResponse("head longer than \(options.maxHeadBytes) bytes") }
                    return nil
                }
                let text = buffer.readString(length: end)!
                buffer.moveReaderIndex(forwardBy: 4)
                var parsed = try Self.parseHead(text)
                if (100..<200).contains(parsed.status) && parsed.status != 101 {
                    if options.returnInformational { return parsed }
                    informational.append(parsed)
                    continue
                }
                parsed.informational = informational
                response = parsed
                if options.requestWasHead || parsed.status == 101 || parsed.status == 204 || parsed.status == 304 { return parsed }
                let codings = parsed.headers(named: "transfer-encoding").flatMap { $0.lowercased().split(separator: ",") }
                if let last = codings.last, last.trimmingCharacters(in: .whitespaces) == "chunked" {
                    response!.framing = .chunked
                    state = .chunkSize
                } else if let lengthText = parsed.header("content-length") {
                    let values = Set(parsed.headers(named: "content-length").flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) })
                    guard values.count == 1, let length = Int(lengthText.trimmingCharacters(in: .whitespaces)), length >= 0 else {
                        throw RawHTTPClientError.malformedResponse("bad Content-Length \(parsed.headers(named: "content-length"))")
                    }
                    response!.framing = .contentLength
                    if length == 0 { return response }
                    state = .fixed(remaining: length)
                } else {
                    response!.framing = .untilClose
                    state = .untilClose
                }
            case .fixed(let remaining):
                let left = remaining - consumeBody(&buffer, upTo: remaining)
                if left == 0 { return response }
                state = .fixed(remaining: left)
                return nil
            case .chunkSize:
                guard let line = try readLine(&buffer) else { return nil }
                let hex = line.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                guard let size = Int(hex, radix: 16), size >= 0 else { throw RawHTTPClientError.malformedResponse("bad chunk size line \(line.debugDescription)") }
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let left = remaining - consumeBody(&buffer, upTo: remaining)
                guard left == 0 else {
                    state = .chunkData(remaining: left)
                    return nil
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.readBytes(length: 2) == [13, 10] else { throw RawHTTPClientError.malformedResponse("chunk data not followed by CRLF") }
                state = .chunkSize
            case .trailers:
                guard let line = try readLine(&buffer) else { return nil }
                if line.isEmpty { return response }
                response!.trailers.append(try Self.parseField(line))
            case .untilClose:
                _ = consumeBody(&buffer, upTo: buffer.readableBytes)
                return eof ? response : nil
            }
        }
    }

    /// Moves up to `limit` readable bytes from `buffer` into the response body; returns how many.
    private mutating func consumeBody(_ buffer: inout ByteBuffer, upTo limit: Int) -> Int {
        let count = min(limit, buffer.readableBytes)
        let maxRetained = options.maxRetainedBodyBytes
        buffer.withUnsafeReadableBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw.prefix(count))
            response!.bodyDigest.update(bytes)
            let room = maxRetained - response!.body.count
            if room > 0 { response!.body.append(contentsOf: bytes.prefix(room)) }
        }
        buffer.moveReaderIndex(forwardBy: count)
        return count
    }

    private func readLine(_ buffer: inout ByteBuffer) throws -> String? {
        guard let end = Self.find([13, 10], in: buffer) else {
            if buffer.readableBytes > options.maxHeadBytes { throw RawHTTPClientError.malformedResponse("line longer than \(options.maxHeadBytes) bytes") }
            return nil
        }
        let line = buffer.readString(length: end)!
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }

    /// Offset of `pattern` in the readable bytes of `buffer`, if present.
    private static func find(_ pattern: [UInt8], in buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes in
            guard bytes.count >= pattern.count else { return nil }
            for start in 0...(bytes.count - pattern.count) where bytes[start] == pattern[0] {
                if pattern.indices.allSatisfy({ bytes[start + $0] == pattern[$0] }) { return start }
            }
            return nil
        }
    }

    private static func parseHead(_ text: String) throws -> RawResponse {
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), parts[1].count == 3, let status = Int(parts[1]) else {
            throw RawHTTPClientError.malformedResponse("bad status line \(statusLine.debugDescription)")
        }
        return RawResponse(
            version: String(parts[0]), status: status, reason: parts.count > 2 ? String(parts[2]) : "",
            headers: try lines.map(parseField), body: [], bodyDigest: BodyDigest(), trailers: [], informational: [],
            framing: .none
        )
    }

    private static func parseField(_ line: String) throws -> HeaderField {
        guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
            throw RawHTTPClientError.malformedResponse("bad header line \(line.debugDescription)")
        }
        return HeaderField(String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }
}
