import Foundation
import PorticoCore
import Testing

/// `admin:`: defaults, token sources, and the rule that a network-reachable admin
/// listener needs a token.
@Suite("Config admin")
struct ConfigAdminTests {
    typealias Case = ConfigDiagnosticsTests.Case

    static func top(_ lines: String) -> String { ConfigDiagnosticsTests.base + lines }

    static func load(_ yaml: String) throws -> PorticoConfig {
        try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
    }

    /// A temporary file with `contents`, removed when the test ends.
    static func withTemporaryFile<T>(_ contents: String, _ body: (String) throws -> T) throws -> T {
        let path = NSTemporaryDirectory() + "portico-admin-token-\(UUID().uuidString)"
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }

    static let cases: [Case] = [
        Case(top("admin:\n  address: \"0.0.0.0:9901\"\n"), line: 7, path: "admin.address",
             "admin.address 0.0.0.0:9901 is reachable from the network; set admin.token or admin.token_file"),
        Case(top("admin:\n  address: \":9901\"\n"), line: 7, path: "admin.address", "is reachable from the network"),
        Case(top("admin:\n  address: \"[::]:9901\"\n"), line: 7, path: "admin.address", "admin.address [::]:9901 is reachable from the network"),
        Case(top("admin:\n  address: \"10.1.2.3:9901\"\n"), line: 7, path: "admin.address", "set admin.token or admin.token_file"),
        Case(top("admin:\n  address: 127.0.0.1\n"), line: 7, path: "admin.address", "invalid address \"127.0.0.1\": missing port"),
        Case(top("admin:\n  token: abc\n  token_file: /x\n"), line: 8, path: "admin.token_file", "give either token or token_file, not both"),
        Case(top("admin:\n  token: \"\"\n"), line: 7, path: "admin.token", "admin token must not be empty"),
        Case(top("admin:\n  token: \"two words\"\n"), line: 7, path: "admin.token", "printable ASCII without spaces"),
        Case(top("admin:\n  token_file: /nonexistent/portico-token\n"), line: 7, path: "admin.token_file",
             "cannot read token_file \"/nonexistent/portico-token\": No such file or directory"),
        Case(top("admin:\n  tokn: abc\n"), line: 7, path: "admin.tokn", "unknown key \"tokn\" (did you mean \"token\"?)"),
        Case(top("admin: [a]\n"), line: 6, path: "admin", "expected a mapping, true or off, found a sequence"),
        Case(top("admn: {}\n"), line: 6, path: "admn", "did you mean \"admin\"?"),
    ]

    @Test(arguments: cases)
    func badSnippetReportsOneDiagnostic(_ testCase: Case) {
        ConfigDiagnosticsTests.expectOneDiagnostic(testCase)
    }

    @Test func absentSectionMeansNoAdminListener() throws {
        #expect(try Self.load(ConfigDiagnosticsTests.base).admin == nil)
        #expect(try Self.load(Self.top("admin: off\n")).admin == nil)
        #expect(try Self.load(Self.top("admin: false\n")).admin == nil)
    }

    @Test func emptySectionUsesLoopbackDefaults() throws {
        for snippet in ["admin:\n", "admin: {}\n", "admin: true\n"] {
            let admin = try Self.load(Self.top(snippet)).admin
            #expect(admin == AdminConfig(address: HostPort(host: "127.0.0.1", port: 9901), token: nil), "\(snippet)")
        }
    }

    @Test func loopbackAddressesNeedNoToken() throws {
        for address in ["127.0.0.1:0", "127.0.0.2:9901", "localhost:9901", "\"[::1]:9901\""] {
            let admin = try Self.load(Self.top("admin:\n  address: \(address)\n")).admin
            #expect(admin?.token == nil)
            #expect(admin?.isLoopback == true, "\(address)")
        }
    }

    @Test func inlineTokenAllowsAnyAddress() throws {
        let admin = try Self.load(Self.top("admin:\n  address: \"0.0.0.0:9901\"\n  token: s3cr3t-T0ken\n")).admin
        #expect(admin?.address == HostPort(host: "0.0.0.0", port: 9901))
        #expect(admin?.token == "s3cr3t-T0ken")
        #expect(admin?.isLoopback == false)
    }

    @Test func tokenFileIsReadAtLoadAndTrimmed() throws {
        let admin = try Self.withTemporaryFile("  file-token-123\n\n") { path in
            try Self.load(Self.top("admin:\n  address: \":9901\"\n  token_file: \(path)\n")).admin
        }
        #expect(admin?.token == "file-token-123")
    }

    @Test func emptyTokenFileIsAnError() throws {
        let diagnostics = try Self.withTemporaryFile(" \n\t\n") { path in
            ConfigDiagnosticsTests.diagnostics(Self.top("admin:\n  token_file: \(path)\n"))
        }
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.path == "admin.token_file")
        #expect(diagnostics.first?.message.hasSuffix("is empty") == true, "\(diagnostics)")
    }

    @Test func unreadableTokenFileDoesNotAlsoComplainAboutTheNetwork() {
        let diagnostics = ConfigDiagnosticsTests.diagnostics(
            Self.top("admin:\n  address: \"0.0.0.0:9901\"\n  token_file: /nonexistent/token\n")
        )
        #expect(diagnostics.map(\.path) == ["admin.token_file"], "\(diagnostics.map(\.description))")
    }
}
