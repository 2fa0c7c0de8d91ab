import Yams

/// A place in the configuration document: a position for editors and a dotted path
/// for humans. Every diagnostic is reported at a `ConfigSite`.
struct ConfigSite {
    var line: Int
    var column: Int
    var path: String

    init(_ node: Node?, _ path: String) {
        self.line = node?.mark?.line ?? 0
        self.column = node?.mark?.column ?? 0
        self.path = path
    }

    init(line: Int, column: Int, path: String) {
        self.line = line
        self.column = column
        self.path = path
    }

    /// `routes[0]` + `match` → `routes[0].match`; the document root has the empty path.
    static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    static func index(_ path: String, _ index: Int) -> String {
        "\(path)[\(index)]"
    }
}

/// A YAML node together with its path, so that decoders can hand both to the
/// reader's typed accessors and to nested decoders in one value.
struct ConfigNode {
    var node: Node
    var path: String
    var site: ConfigSite { ConfigSite(node, path) }
}

/// The known keys of one YAML mapping, with unknown keys already reported.
struct ConfigFields {
    /// Where the mapping itself starts (used for "missing key" diagnostics).
    var site: ConfigSite
    private var entries: [String: (key: Node, value: Node)] = [:]
    private(set) var order: [String] = []
    /// Known keys that an unknown key was reported as a likely misspelling of; a
    /// "missing required key" for them would only repeat that diagnostic.
    var suggested: Set<String> = []

    init(site: ConfigSite) {
        self.site = site
    }

    mutating func insert(_ name: String, key: Node, value: Node) {
        if entries[name] == nil { order.append(name) }
        entries[name] = (key, value)
    }

    /// The value under `key`, if present.
    subscript(_ key: String) -> ConfigNode? {
        entries[key].map { ConfigNode(node: $0.value, path: ConfigSite.join(site.path, key)) }
    }

    /// Where the key itself is written (for "this key is not allowed here" diagnostics).
    func keySite(_ key: String) -> ConfigSite {
        ConfigSite(entries[key]?.key, ConfigSite.join(site.path, key))
    }

    func has(_ key: String) -> Bool { entries[key] != nil }
}

/// Walks a composed YAML tree and collects diagnostics.
///
/// Accessors return `nil` after reporting when a value has the wrong type or is
/// invalid; callers substitute a placeholder and carry on, so that one run reports
/// every problem in the file. The result is only used when no diagnostic was reported.
struct ConfigReader {
    let file: String
    private(set) var diagnostics: [ConfigDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    mutating func report(_ message: String, at site: ConfigSite) {
        diagnostics.append(ConfigDiagnostic(file: file, line: site.line, column: site.column, path: site.path, message: message))
    }

    /// Reports a failed parse; returns the value on success.
    mutating func check<T>(_ result: Result<T, ConfigScalar.Problem>, at site: ConfigSite) -> T? {
        switch result {
        case .success(let value): return value
        case .failure(let problem):
            report(problem.message, at: site)
            return nil
        }
    }

    mutating func typeMismatch(expected: String, _ value: ConfigNode) {
        report("expected \(expected), found \(value.node.kindDescription)", at: value.site)
    }

    // MARK: - Containers

    /// A mapping whose keys must all be in `known`. An empty value (`timeouts:`) reads
    /// as an empty mapping, so optional sections may be left blank.
    mutating func fields(_ value: ConfigNode, known: [String]) -> ConfigFields? {
        guard let pairs = pairs(value) else { return nil }
        var fields = ConfigFields(site: value.site)
        for (name, key, child) in pairs {
            if known.contains(name) {
                fields.insert(name, key: key, value: child)
            } else {
                let close = ConfigSuggestions.closest(to: name, in: known)
                if let close { fields.suggested.insert(close) }
                let hint = close.map { " (did you mean \(configQuoted($0))?)" } ?? ""
                report("unknown key \(configQuoted(name))\(hint)", at: ConfigSite(key, ConfigSite.join(value.path, name)))
            }
        }
        return fields
    }

    /// The entries of a mapping with free-form keys (header names), in document order.
    /// Keys must be scalars; YAML numbers and booleans are taken as their text.
    mutating func pairs(_ value: ConfigNode) -> [(name: String, key: Node, value: Node)]? {
        if value.node.isNull { return [] }
        guard case .mapping(let mapping) = value.node else {
            typeMismatch(expected: "a mapping", value)
            return nil
        }
        var result: [(name: String, key: Node, value: Node)] = []
        for (key, child) in mapping {
            guard case .scalar(let scalar) = key, !key.isNull else {
                report("mapping keys must be strings, found \(key.kindDescription)", at: ConfigSite(key, value.path))
                continue
            }
            result.append((scalar.string, key, child))
        }
        return result
    }

    /// The items of a sequence with their paths (`routes[0]`, …). An empty value reads
    /// as an empty sequence; callers that require items report emptiness themselves.
    mutating func items(_ value: ConfigNode) -> [ConfigNode]? {
        if value.node.isNull { return [] }
        guard case .sequence(let sequence) = value.node else {
            typeMismatch(expected: "a sequence", value)
            return nil
        }
        return sequence.enumerated().map { ConfigNode(node: $1, path: ConfigSite.index(value.path, $0)) }
    }

    /// A single scalar or a sequence of them (`method: GET` or `method: [GET, HEAD]`).
    mutating func oneOrMany(_ value: ConfigNode) -> [ConfigNode]? {
        if case .scalar = value.node, !value.node.isNull { return [value] }
        if case .sequence = value.node { return items(value) }
        typeMismatch(expected: "a string or a sequence of strings", value)
        return nil
    }

    /// Reports when a required list is empty. Returns whether it had items.
    @discardableResult
    mutating func requireNonEmpty(_ list: [ConfigNode], _ value: ConfigNode, _ what: String) -> Bool {
        if list.isEmpty { report("at least one \(what) is required", at: value.site) }
        return !list.isEmpty
    }

    mutating func requireKey(_ key: String, in fields: ConfigFields, context: String) {
        if !fields.has(key), !fields.suggested.contains(key) {
            report("missing required key \(configQuoted(key)) in \(context)", at: fields.site)
        }
    }

    // MARK: - Scalars

    /// Scalar text. Numbers and booleans are accepted as their text (`body: 123`);
    /// an empty value, mapping or sequence is a type error.
    mutating func string(_ value: ConfigNode) -> String? {
        guard case .scalar(let scalar) = value.node, !value.node.isNull else {
            typeMismatch(expected: "a string", value)
            return nil
        }
        return scalar.string
    }

    /// A non-empty string.
    mutating func nonEmptyString(_ value: ConfigNode, _ what: String) -> String? {
        guard let text = string(value) else { return nil }
        if text.isEmpty {
            report("\(what) must not be empty", at: value.site)
            return nil
        }
        return text
    }

    /// A YAML boolean (`true`/`false`; YAML 1.1 also reads `yes`/`no`/`on`/`off`).
    /// Quoted `"true"` is a string and rejected: it is almost always a mistake.
    mutating func bool(_ value: ConfigNode) -> Bool? {
        guard value.node.tag.rawValue == Tag.Name.bool.rawValue, let flag = value.node.bool else {
            typeMismatch(expected: "true or false", value)
            return nil
        }
        return flag
    }

    /// A decimal integer in `range`.
    mutating func int(_ value: ConfigNode, in range: ClosedRange<Int>, _ what: String) -> Int? {
        guard case .scalar(let scalar) = value.node, !value.node.isNull,
              scalar.string.allSatisfy({ ("0"..."9").contains($0) || $0 == "-" }), let number = Int(scalar.string)
        else {
            typeMismatch(expected: "an integer", value)
            return nil
        }
        guard range.contains(number) else {
            let bound = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
            report("\(what) must be \(bound), found \(number)", at: value.site)
            return nil
        }
        return number
    }

    /// A duration greater than zero (`"10s"`, `500ms`, `30`).
    mutating func duration(_ value: ConfigNode) -> Duration? {
        guard let text = string(value), let duration = check(ConfigScalar.checkDuration(text), at: value.site) else {
            return nil
        }
        guard duration > .zero else {
            report("duration must be greater than 0", at: value.site)
            return nil
        }
        return duration
    }

    /// A byte size (`32KiB`, `8192`), greater than zero unless `allowZero`.
    mutating func size(_ value: ConfigNode, allowZero: Bool = false) -> Int? {
        guard let text = string(value), let size = check(ConfigScalar.checkSize(text), at: value.site) else {
            return nil
        }
        guard size > 0 || allowZero else {
            report("size must be greater than 0", at: value.site)
            return nil
        }
        return size
    }

    /// One of a fixed set of words, with a suggestion or the full list on a miss.
    mutating func choice(_ value: ConfigNode, from allowed: [String], _ what: String) -> String? {
        guard let text = string(value) else { return nil }
        guard allowed.contains(text) else {
            let hint = ConfigSuggestions.hintOrList(for: text, in: allowed)
            report("unknown \(what) \(configQuoted(text))\(hint)", at: value.site)
            return nil
        }
        return text
    }
}

extension Node {
    /// Plain empty scalars, `~` and `null`. Quoted `""` is a string, not null.
    var isNull: Bool {
        if case .scalar = self { return tag.rawValue == Tag.Name.null.rawValue }
        return false
    }

    /// How a node is described in "expected X, found Y" messages. Scalars show their
    /// text, which is more useful than a type name when a value is in the wrong place.
    var kindDescription: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a sequence"
        case .alias: return "an alias"
        case .scalar(let scalar): return isNull ? "an empty value" : configQuoted(scalar.string)
        }
    }
}
