import NIOCore
import PorticoCore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hand-written tricky heads in `WireCorpus/`, one per file, exact bytes. The file name
/// says what must happen:
/// - `accept-<what>.http`: the parser for the head's kind accepts it;
/// - `reject-<status>-<what>.http`: it refuses it with that status;
/// - `fuzz-<anything>`: found by fuzzing; it only has to not crash, and both parsers must
///   agree with the production path (NIO + validators) as the differential test requires.
/// A head is a response when it starts with `HTTP/` (after empty lines), else a request.
/// Every file is also fed to both parsers and checked against the production path.
@Suite("Wire head parser: corpus")
struct WireHeadParserCorpusTests {
    static let directory: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast()
        return parts.joined(separator: "/") + "/WireCorpus"
    }()

    static var files: [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names.sorted()
    }

    static func contents(_ name: String) -> [UInt8]? {
        guard let file = fopen(directory + "/" + name, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            bytes += chunk[..<n]
        }
        return bytes
    }

    static func isResponse(_ bytes: [UInt8]) -> Bool {
        Array(bytes.drop { $0 == 0x0D || $0 == 0x0A }.prefix(5)) == Array("HTTP/".utf8)
    }

    @Test func corpusIsThere() {
        #expect(Self.files.count >= 40)
        #expect(Self.files.allSatisfy { $0.hasPrefix("accept-") || $0.hasPrefix("reject-") || $0.hasPrefix("fuzz-") })
    }

    @Test(arguments: files)
    func corpusFile(_ name: String) throws {
        let bytes = try #require(Self.contents(name))
        // Both parsers see every file, in one piece and byte by byte; neither may crash.
        let asRequest = WirePath.request(bytes)
        let asResponse = WirePath.response(bytes)
        #expect(Self.byteByByteRequest(bytes) == asRequest)

        var summary = DifferentialSummary()
        if name.hasPrefix("fuzz-") {
            WireHeadParserDifferentialTests.check(bytes, isResponse: false, into: &summary)
            WireHeadParserDifferentialTests.check(bytes, isResponse: true, into: &summary)
        } else {
            let response = Self.isResponse(bytes)
            let verdict = response ? asResponse : asRequest
            if name.hasPrefix("accept-") {
                #expect(verdict.isAccept, "\(verdict)")
            } else {
                let status = Int(name.split(separator: "-")[1])
                guard case .reject(let actual, _) = verdict else {
                    Issue.record("not refused: \(verdict)")
                    return
                }
                #expect(actual == status)
            }
            WireHeadParserDifferentialTests.check(bytes, isResponse: response, into: &summary)
        }
        #expect(summary.failures.isEmpty, "\(summary.failures)")
    }

    static func byteByByteRequest(_ bytes: [UInt8]) -> WireVerdict {
        var parser = HTTP1RequestHeadParser(limits: LimitsConfig())
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        for byte in bytes {
            buffer.writeInteger(byte)
            let result = parser.parse(&buffer)
            if case .incomplete = result { continue }
            return WirePath.verdict(result)
        }
        return .incomplete
    }
}
