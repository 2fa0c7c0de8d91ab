import NIOCore
import PorticoCore

/// Invariants of `ChunkedScanner` on arbitrary bytes:
/// - split reading (at a data-derived position, and byte by byte for short inputs) gives the
///   same verdict, byte counts, data and trailers as one-shot reading, in both modes;
/// - validate and decode mode agree on the verdict and the bytes consumed;
/// - consumed + left over = input; an error's offset is where the reader index stopped;
///   decoded data never exceeds the bytes consumed;
/// - accepting BWS never rejects what the strict default accepts;
/// - a decoded body re-encoded as one chunk decodes to the same data and trailers.
enum FuzzChunked {
    struct Outcome: Equatable {
        enum Verdict: Equatable {
            case ended
            case failed(ChunkedScanError)
            case incomplete
        }

        var verdict: Verdict = .incomplete
        var consumed = 0
        var leftover = 0
        var data: [UInt8] = []
        var trailers: [ChunkedTrailerField] = []
    }

    static func check(_ input: FuzzInput) {
        let lax = input.knob & 1 == 1
        // Small limits now and then, so that the limit paths are reached too.
        let small = input.knob & 6 == 6
        func run(_ pieces: [ByteBuffer], _ mode: ChunkedScanner.Mode, bws: Bool = lax) -> Outcome {
            var scanner = small
                ? ChunkedScanner(mode: mode, maxChunkSizeDigits: 4, maxLineLength: 24, maxTrailerBytes: 40, allowsExtensionWhitespace: bws)
                : ChunkedScanner(mode: mode, allowsExtensionWhitespace: bws)
            return feed(&scanner, pieces, total: input.count)
        }

        let validate = run([input.whole], .validate)
        let decode = run([input.whole], .decode)
        require(validate.verdict == decode.verdict, "validate \(validate.verdict) vs decode \(decode.verdict)")
        require(validate.consumed == decode.consumed, "validate consumed \(validate.consumed), decode \(decode.consumed)")
        require(validate.data.isEmpty && validate.trailers.isEmpty, "validate mode produced data")
        require(decode.data.count <= decode.consumed, "more data than bytes consumed")

        for mode in [ChunkedScanner.Mode.validate, .decode] {
            let whole = mode == .validate ? validate : decode
            let split = run([input.head, input.tail], mode)
            require(split == whole, "\(mode) split at \(input.split): \(split.verdict) vs \(whole.verdict)")
            if input.count <= 256 {
                let trickle = run(input.bytes.map { ByteBuffer(bytes: [$0]) }, mode)
                require(trickle == whole, "\(mode) byte by byte: \(trickle.verdict) vs \(whole.verdict)")
            }
        }

        if !lax, decode.verdict == .ended {
            let relaxed = run([input.whole], .decode, bws: true)
            require(relaxed == decode, "accepting BWS changed an accepted body")
        }
        if decode.verdict == .ended, !small {
            roundTrip(decode)
        }
    }

    /// Feeds `pieces` in order, checking the per-call contract of `scan`.
    static func feed(_ scanner: inout ChunkedScanner, _ pieces: [ByteBuffer], total: Int) -> Outcome {
        var outcome = Outcome()
        var forwarded = 0
        for (index, piece) in pieces.enumerated() {
            var buffer = piece
            while true {
                let before = buffer.readerIndex
                let event = scanner.scan(&buffer)
                require(buffer.readerIndex >= before, "reader index moved back")
                forwarded += buffer.readerIndex - before
                switch event {
                case .needMoreData:
                    require(buffer.readableBytes == 0, "needMoreData with bytes left")
                    require(!scanner.isComplete, "needMoreData after the end")
                case .data(let slice):
                    require(scanner.mode == .decode, "data in validate mode")
                    require(slice.readableBytes > 0, "empty data slice")
                    outcome.data += slice.readableBytesView
                    continue
                case .end(let trailers):
                    require(scanner.isComplete, "end but not complete")
                    outcome.verdict = .ended
                    outcome.trailers = trailers
                case .error(let error):
                    require(error.bodyOffset == scanner.bytesScanned, "error offset \(error.bodyOffset) vs \(scanner.bytesScanned)")
                    outcome.verdict = .failed(error)
                }
                if case .needMoreData = event { break }
                outcome.leftover = buffer.readableBytes + pieces[(index + 1)...].reduce(0) { $0 + $1.readableBytes }
                outcome.consumed = scanner.bytesScanned
                require(forwarded == scanner.bytesScanned, "reader index moves disagree with bytesScanned")
                require(outcome.consumed + outcome.leftover == total, "bytes lost")
                require(scanner.dataBytes == outcome.data.count || scanner.mode == .validate, "dataBytes mismatch")
                // A finished scanner consumes nothing more and repeats itself.
                let again = scanner.scan(&buffer)
                if case .error = event { require(again == event, "error not sticky") }
                require(buffer.readableBytes + pieces[(index + 1)...].reduce(0) { $0 + $1.readableBytes } == outcome.leftover, "consumed after the end")
                return outcome
            }
        }
        outcome.consumed = scanner.bytesScanned
        require(forwarded == total && outcome.consumed == total, "incomplete but not everything consumed")
        return outcome
    }

    /// Re-encodes an accepted body as a single chunk and decodes it again.
    static func roundTrip(_ decoded: Outcome) {
        var encoded = ByteBuffer()
        if !decoded.data.isEmpty {
            encoded.writeString(String(decoded.data.count, radix: 16) + "\r\n")
            encoded.writeBytes(decoded.data)
            encoded.writeString("\r\n")
        }
        encoded.writeString("0\r\n")
        for field in decoded.trailers {
            // Decoding may have replaced invalid UTF-8 with U+FFFD, which is obs-text again.
            encoded.writeString("\(field.name): \(field.value)\r\n")
        }
        encoded.writeString("\r\n")
        var scanner = ChunkedScanner(mode: .decode, maxTrailerBytes: Int.max / 2)
        let again = feed(&scanner, [encoded], total: encoded.readableBytes)
        require(again.verdict == .ended, "re-encoded body rejected: \(again.verdict)")
        require(again.data == decoded.data && again.trailers == decoded.trailers, "re-encoded body decodes differently")
    }
}
