import Foundation
import PorticoCore
import Testing

/// Replays the wire corpus (hand-written cases and the inputs `scripts/fuzz.sh` saved) through
/// the chunked scanner: whatever a file holds, reading it split anywhere must equal reading
/// it at once. Both the whole file and the part after its first blank line (the body, when
/// the file is a whole message) are scanned.
struct WireChunkedCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("WireCorpus")

    static func files() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? []
        return names.filter { $0.hasSuffix(".http") }.sorted().map { corpus.appendingPathComponent($0) }
    }

    @Test func corpusFilesScanTheSameHoweverSplit() throws {
        for file in Self.files() {
            let bytes = Array(try Data(contentsOf: file))
            var inputs = [bytes]
            if let blank = Self.firstBlankLine(bytes) { inputs.append(Array(bytes[blank...])) }
            for input in inputs {
                for mode in [ChunkedScanner.Mode.validate, .decode] {
                    let whole = ChunkedHarness.oneShot(input, mode: mode)
                    // Every cut for short files, a sample of cuts for long ones.
                    let step = Swift.max(1, input.count / 256)
                    for cut in stride(from: 0, through: input.count, by: step) {
                        let split = ChunkedHarness.split(input, at: cut, mode: mode)
                        try #require(split == whole, "\(file.lastPathComponent) cut \(cut) \(mode)")
                    }
                }
            }
        }
    }

    static func firstBlankLine(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }
}
