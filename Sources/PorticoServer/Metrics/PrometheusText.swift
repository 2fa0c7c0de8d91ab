import PorticoProxy

/// Pieces of the Prometheus text exposition format, version 0.0.4
/// (https://prometheus.io/docs/instrumenting/exposition_formats/): family headers,
/// samples with escaped labels, and histograms. Pure functions, so the format is unit
/// tested without a server; also what another part of Portico uses to pre-render an
/// extra family for `ProxyServer.addMetricsSource(_:)`.
public enum PrometheusText {
    /// The `Content-Type` of a scrape response.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public enum MetricType: String, Sendable {
        case counter, gauge, histogram, untyped
    }

    /// A label value with backslash, double quote and line feed escaped, as the format
    /// requires inside `"…"`.
    public static func escapeLabelValue(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") })
        else { return value }
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count + 4)
        for character in value.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// HELP text with backslash and line feed escaped (quotes stay as they are there).
    public static func escapeHelp(_ text: String) -> String {
        text.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }

    /// A sample value: integers without a fraction, `+Inf`/`-Inf`/`NaN` spelled as the
    /// format (and Go's `strconv.ParseFloat`) expects.
    public static func formatValue(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// `{a="x",b="y"}`, or nothing without labels.
    public static func labelSet(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// The `# HELP` and `# TYPE` lines that open a family.
    public static func header(_ name: String, _ type: MetricType, help: String, into out: inout String) {
        out += "# HELP \(name) \(escapeHelp(help))\n# TYPE \(name) \(type.rawValue)\n"
    }

    public static func sample(_ name: String, _ labels: [(String, String)], _ value: Int, into out: inout String) {
        out += name + labelSet(labels) + " " + String(value) + "\n"
    }

    public static func sample(_ name: String, _ labels: [(String, String)], _ value: Double, into out: inout String) {
        out += name + labelSet(labels) + " " + formatValue(value) + "\n"
    }

    /// A histogram's `_bucket` (cumulative, with `le`), `_sum` (seconds) and `_count` samples.
    public static func histogram(
        _ name: String, _ labels: [(String, String)], _ histogram: LatencyHistogram, into out: inout String
    ) {
        var cumulative = 0
        for index in 0..<16 {
            cumulative += histogram.buckets[index]
            let bound =
                index < LatencyHistogram.upperBoundsSeconds.count
                ? formatValue(LatencyHistogram.upperBoundsSeconds[index]) : "+Inf"
            sample(name + "_bucket", labels + [("le", bound)], cumulative, into: &out)
        }
        sample(name + "_sum", labels, histogram.sumSeconds, into: &out)
        sample(name + "_count", labels, cumulative, into: &out)
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        guard self.contains(target) else { return self }
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
