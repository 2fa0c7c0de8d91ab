import Testing

/// A strict reader of the Prometheus text format (0.0.4) as Portico writes it, for
/// checking what `/metrics` serves: every sample line is `name{labels} value`, every
/// sample's family has a `# TYPE` (and `# HELP`) line before it, label values are
/// properly escaped.
struct ParsedExposition {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var types: [String: String] = [:]
    var helps: Set<String> = []
    var samples: [Sample] = []

    enum ParseError: Error, CustomStringConvertible {
        case malformed(String)
        var description: String {
            switch self {
            case .malformed(let line): return "malformed line: \(line)"
            }
        }
    }

    init(_ text: String) throws {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if line.hasPrefix("# HELP ") {
                let name = line.dropFirst(7).prefix { $0 != " " }
                self.helps.insert(String(name))
                continue
            }
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2, ["counter", "gauge", "histogram", "summary", "untyped"].contains(String(parts[1]))
                else { throw ParseError.malformed(String(line)) }
                guard self.types[String(parts[0])] == nil else { throw ParseError.malformed("duplicate TYPE: \(line)") }
                self.types[String(parts[0])] = String(parts[1])
                continue
            }
            if line.hasPrefix("#") { continue }
            let sample = try Self.parseSample(Substring(line))
            guard let family = self.family(of: sample.name) else {
                throw ParseError.malformed("no TYPE for \(sample.name)")
            }
            guard self.helps.contains(family) else { throw ParseError.malformed("no HELP for \(family)") }
            self.samples.append(sample)
        }
    }

    /// The family a sample belongs to (histogram samples carry a suffix).
    func family(of name: String) -> String? {
        if self.types[name] != nil { return name }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if self.types[base] == "histogram" { return base }
        }
        return nil
    }

    static func parseSample(_ line: Substring) throws -> Sample {
        var rest = line[...]
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
        guard !name.isEmpty, !(name.first!.isNumber) else { throw ParseError.malformed(String(line)) }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let labelName = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                guard !labelName.isEmpty else { throw ParseError.malformed(String(line)) }
                rest = rest.dropFirst(labelName.count)
                guard rest.hasPrefix("=\"") else { throw ParseError.malformed(String(line)) }
                rest = rest.dropFirst(2)
                var value = ""
                while true {
                    guard let character = rest.first else { throw ParseError.malformed(String(line)) }
                    rest = rest.dropFirst()
                    if character == "\"" { break }
                    if character == "\\" {
                        guard let escaped = rest.first else { throw ParseError.malformed(String(line)) }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw ParseError.malformed(String(line))
                        }
                    } else {
                        value.append(character)
                    }
                }
                labels[String(labelName)] = value
                if rest.first == "," { rest = rest.dropFirst() }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw ParseError.malformed(String(line)) }
        let valueText = rest.dropFirst()
        let value: Double
        switch valueText {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let parsed = Double(valueText) else { throw ParseError.malformed(String(line)) }
            value = parsed
        }
        return Sample(name: String(name), labels: labels, value: value)
    }

    /// The value of the one sample with this name and (at least) these labels, or nil.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = self.samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return matching.count == 1 ? matching[0].value : nil
    }

    /// Sum over every sample with this name and (at least) these labels.
    func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
        self.samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }.reduce(0) { $0 + $1.value }
    }
}
