import NIOCore
import PorticoCore

/// What feeding a whole byte stream through a ``ChunkedScanner`` came to; equal outcomes
/// mean the scanner behaved the same whatever the splits.
struct ChunkedOutcome: Equatable, CustomStringConvertible {
    enum Result: Equatable {
        case ended
        case failed(ChunkedScanError)
        case incomplete
    }

    var result: Result
    /// Raw body bytes the scanner consumed (for `validate`, the bytes to forward).
    var consumed: Int
    /// Bytes still unread after the scanner stopped (the next pipelined message).
    var leftover: [UInt8]
    /// Decode mode: the chunk-data concatenated. Validate mode: empty.
    var data: [UInt8]
    var trailers: [ChunkedTrailerField]

    var description: String {
        "\(result) consumed=\(consumed) leftover=\(leftover.count) data=\(data.count) trailers=\(trailers)"
    }
}

enum ChunkedHarness {
    /// Feeds `pieces` one after the other, as separate reads from a socket would arrive.
    static func run(
        _ pieces: [[UInt8]],
        mode: ChunkedScanner.Mode,
        allowsExtensionWhitespace: Bool = false,
        maxLineLength: Int = 4096,
        maxTrailerBytes: Int = 16 * 1024
    ) -> ChunkedOutcome {
        var scanner = ChunkedScanner(
            mode: mode,
            maxLineLength: maxLineLength,
            maxTrailerBytes: maxTrailerBytes,
            allowsExtensionWhitespace: allowsExtensionWhitespace
        )
        var outcome = ChunkedOutcome(result: .incomplete, consumed: 0, leftover: [], data: [], trailers: [])
        var forwarded = 0
        var index = 0
        feeding: while index < pieces.count {
            var buffer = ByteBuffer(bytes: pieces[index])
            index += 1
            while true {
                let before = buffer.readerIndex
                let event = scanner.scan(&buffer)
                forwarded += buffer.readerIndex - before
                switch event {
                case .needMoreData:
                    precondition(buffer.readableBytes == 0, "needMoreData left bytes unread")
                    continue feeding
                case .data(let slice):
                    precondition(mode == .decode, "data event in validate mode")
                    outcome.data += slice.readableBytesView
                    continue
                case .end(let trailers):
                    outcome.result = .ended
                    outcome.trailers = trailers
                case .error(let error):
                    outcome.result = .failed(error)
                }
                outcome.leftover = Array(buffer.readableBytesView) + pieces[index...].joined()
                break feeding
            }
        }
        precondition(forwarded == scanner.bytesScanned, "reader index moves disagree with bytesScanned")
        outcome.consumed = scanner.bytesScanned
        return outcome
    }

    static func oneShot(_ bytes: [UInt8], mode: ChunkedScanner.Mode, allowsExtensionWhitespace: Bool = false) -> ChunkedOutcome {
        run([bytes], mode: mode, allowsExtensionWhitespace: allowsExtensionWhitespace)
    }

    static func split(_ bytes: [UInt8], at cut: Int, mode: ChunkedScanner.Mode, allowsExtensionWhitespace: Bool = false) -> ChunkedOutcome {
        run([Array(bytes[..<cut]), Array(bytes[cut...])], mode: mode, allowsExtensionWhitespace: allowsExtensionWhitespace)
    }

    static func byteAtATime(_ bytes: [UInt8], mode: ChunkedScanner.Mode, allowsExtensionWhitespace: Bool = false) -> ChunkedOutcome {
        run(bytes.map { [$0] }, mode: mode, allowsExtensionWhitespace: allowsExtensionWhitespace)
    }

    /// Table notation: `¦` marks the offending byte of an invalid case. Returns the bytes
    /// without the marker and the marker's offset.
    static func marked(_ text: String) -> (bytes: [UInt8], offset: Int?) {
        let marker = Array("¦".utf8)
        var bytes = Array(text.utf8)
        var i = 0
        while i + marker.count <= bytes.count {
            if Array(bytes[i..<i + marker.count]) == marker {
                bytes.removeSubrange(i..<i + marker.count)
                return (bytes, i)
            }
            i += 1
        }
        return (bytes, nil)
    }
}
