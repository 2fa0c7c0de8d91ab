import Yams

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns `portico.yaml` into a validated `PorticoConfig`.
///
/// The YAML is composed into a node tree (not decoded with `Codable`) so that every
/// diagnostic can name the line, column and path of the offending value, and so that
/// all problems in a file are reported in one run instead of one per attempt.
public enum ConfigLoader {
    static let topLevelKeys = [
        "workers", "server_header", "timeouts", "limits", "access_log",
        "listeners", "upstreams", "routes", "security", "admin",
        "request_id", "trace_context", "cache", "compression",
    ]

    /// Reads and parses the file at `path`. Diagnostics name the file as `path` was given.
    public static func load(path: String) throws(ConfigError) -> PorticoConfig {
        let text: String
        switch readFile(path) {
        case .success(let contents): text = contents
        case .failure(let problem):
            throw ConfigError(diagnostics: [
                ConfigDiagnostic(file: path, line: 0, column: 0, path: "", message: problem.message),
            ])
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses YAML text; `file` is only used to label diagnostics.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> PorticoConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError(diagnostics: [syntaxDiagnostic(error, file: file)])
        }
        var reader = ConfigReader(file: file)
        guard let root, !root.isNull else {
            reader.report("the configuration is empty (listeners and routes are required)", at: ConfigSite(line: 1, column: 1, path: ""))
            throw ConfigError(diagnostics: reader.diagnostics)
        }
        let config = reader.document(ConfigNode(node: root, path: ""))
        guard reader.diagnostics.isEmpty else {
            // Stable sort: document order, with diagnostics at the same spot in the order found.
            let sorted = reader.diagnostics.enumerated().sorted {
                ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset)
            }
            throw ConfigError(diagnostics: sorted.map(\.element))
        }
        return config
    }

    // MARK: - Errors from Yams and the file system

    /// One diagnostic for a YAML error, positioned where libyaml detected it.
    static func syntaxDiagnostic(_ error: any Error, file: String) -> ConfigDiagnostic {
        func make(_ line: Int, _ column: Int, _ message: String) -> ConfigDiagnostic {
            ConfigDiagnostic(file: file, line: line, column: column, path: "", message: message)
        }
        func withContext(_ problem: String, _ context: YamlError.Context?) -> String {
            guard let context, !context.text.isEmpty else { return "invalid YAML: \(problem)" }
            return "invalid YAML: \(problem) (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        }
        guard let yamlError = error as? YamlError else {
            return make(0, 0, "invalid YAML: \(error)")
        }
        switch yamlError {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return make(mark.line, mark.column, withContext(problem, context))
        case let .reader(problem, offset, _, yaml):
            let (line, column) = offset.map { position(ofCharacterOffset: $0, in: yaml) } ?? (0, 0)
            return make(line, column, "invalid YAML: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { configQuoted($0) }.joined(separator: ", ")
            let noun = duplicates.count == 1 ? "key" : "keys"
            return make(context.mark.line, context.mark.column, "duplicate \(noun) \(keys) in the same mapping (each key may appear only once)")
        default:
            return make(0, 0, "invalid YAML: \(yamlError)")
        }
    }

    /// 1-based line and column of the character at `offset`.
    static func position(ofCharacterOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for character in text.prefix(offset) {
            if character == "\n" || character == "\r\n" {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        return (line, column)
    }

    /// Reads a whole file with POSIX calls so that failures carry the system's own
    /// reason ("No such file or directory", "Permission denied", "Is a directory").
    /// `what` names the file in messages.
    static func readFile(_ path: String, what: String = "the configuration file") -> Result<String, ConfigScalar.Problem> {
        func failure(_ code: Int32) -> Result<String, ConfigScalar.Problem> {
            .failure(ConfigScalar.Problem(message: "cannot read \(what): \(String(cString: strerror(code)))"))
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return failure(errno) }
        defer { _ = close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return failure(errno)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(ConfigScalar.Problem(message: "\(what) is not valid UTF-8"))
        }
        return .success(text)
    }
}

extension ConfigReader {
    /// The whole document: a mapping of the top-level sections.
    mutating func document(_ root: ConfigNode) -> PorticoConfig {
        var config = PorticoConfig()
        guard case .mapping = root.node else {
            typeMismatch(expected: "a mapping at the top level", root)
            return config
        }
        guard let fields = fields(root, known: ConfigLoader.topLevelKeys) else { return config }
        requireKey("listeners", in: fields, context: "the configuration")
        requireKey("routes", in: fields, context: "the configuration")

        if let child = fields["workers"] { config.workers = workers(child) }
        if let child = fields["server_header"] { config.serverHeader = serverHeader(child) }
        if let child = fields["timeouts"] { config.timeouts = timeouts(child) }
        if let child = fields["limits"] { config.limits = limits(child) }
        if let child = fields["access_log"] { config.accessLog = accessLog(child) }
        if let child = fields["request_id"] { config.requestID = requestID(child) }
        if let child = fields["trace_context"] { config.traceContext = traceContext(child) }
        if let child = fields["security"] { config.security = security(child) }
        if let child = fields["admin"] { config.admin = admin(child) }
        if let child = fields["cache"] { config.cache = cacheStorage(child) }
        var decodedListeners: [DecodedListener] = []
        var decodedUpstreams: [DecodedUpstream] = []
        var decodedRoutes: [DecodedRoute] = []
        if let child = fields["listeners"] { decodedListeners = listeners(child) }
        if let child = fields["upstreams"] { decodedUpstreams = upstreams(child) }
        if let child = fields["routes"] { decodedRoutes = routes(child) }
        validateReferences(listeners: decodedListeners, upstreams: decodedUpstreams, routes: decodedRoutes)
        config.compression = topLevelCompression(fields["compression"], inheritedBy: &decodedRoutes)

        config.listeners = decodedListeners.map(\.config)
        config.upstreams = decodedUpstreams.map(\.config)
        config.routes = decodedRoutes.map(\.config)
        return config
    }
}
