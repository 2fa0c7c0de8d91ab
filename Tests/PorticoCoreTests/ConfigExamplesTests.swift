import PorticoCore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The shipped examples are what users copy, so each must load cleanly.
@Suite("Config examples")
struct ConfigExamplesTests {
    /// `<repo>/examples`, found from this file's path (`<repo>/Tests/PorticoCoreTests/…`).
    static let examplesDirectory: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/examples"
    }()

    static var exampleFiles: [String] {
        guard let directory = opendir(examplesDirectory) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".yaml") || name.hasSuffix(".yml") { names.append(name) }
        }
        return names.sorted()
    }

    @Test func theExpectedExamplesExist() {
        #expect(Set(Self.exampleFiles).isSuperset(of: ["full.yaml", "load-balancing.yaml", "minimal.yaml", "routing.yaml", "security.yaml"]))
    }

    @Test(arguments: exampleFiles)
    func exampleLoadsWithoutDiagnostics(name: String) {
        do {
            let config = try ConfigLoader.load(path: Self.examplesDirectory + "/" + name)
            #expect(!config.listeners.isEmpty)
            #expect(!config.routes.isEmpty)
        } catch {
            Issue.record("\(name):\n\(error)")
        }
    }
}
