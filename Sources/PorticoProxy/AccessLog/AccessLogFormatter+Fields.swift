import NIOCore
import PorticoCore

/// Lines with a selected set of fields (`access_log.fields`, nginx's `log_format`).
///
/// JSON: an object with exactly the selected keys, in order; absent values (no upstream,
/// no trace) are `null`. Text: the values in order, separated by single spaces, with
/// `-` for an absent or empty value. Values a client or the configuration chooses
/// freely and that may contain spaces (`user_agent`, `referer`, `route`,
/// `upstream_group`, `listener`) are in double quotes; every client-controlled value
/// is escaped as in the built-in layouts (`\xHH`), so no value can forge a line.
extension AccessLogFormatter {
    mutating func appendSelected(
        _ r: AccessLogRecord,
        fields: [AccessLogField],
        format: AccessLogConfig.Format,
        to buffer: inout ByteBuffer
    ) {
        let json = format == .json
        if json { buffer.writeStaticString("{") }
        for (index, field) in fields.enumerated() {
            if json {
                buffer.writeStaticString(index == 0 ? "\"" : ",\"")
                buffer.writeString(field.rawValue)
                buffer.writeStaticString("\":")
            } else if index > 0 {
                buffer.writeStaticString(" ")
            }
            self.writeValue(of: field, r, json: json, to: &buffer)
        }
        buffer.writeStaticString(json ? "}\n" : "\n")
    }

    private func writeValue(of field: AccessLogField, _ r: AccessLogRecord, json: Bool, to buffer: inout ByteBuffer) {
        switch field {
        case .time:
            if json {
                buffer.writeStaticString("\"")
                buffer.writeString(self.cachedISODate)
                buffer.writeStaticString("\"")
            } else {
                buffer.writeStaticString("[")
                buffer.writeString(self.cachedCommonDate)
                buffer.writeStaticString("]")
            }
        case .client: Self.writeText(r.client, json: json, quoted: false, to: &buffer)
        case .method: Self.writeText(r.method, json: json, quoted: false, to: &buffer)
        case .target: Self.writeText(r.target, json: json, quoted: false, to: &buffer)
        case .protocol: Self.writeText(r.version, json: json, quoted: false, to: &buffer)
        case .host: Self.writeText(r.host, json: json, quoted: false, to: &buffer)
        case .status: buffer.writeString(String(r.status))
        case .bytesSent: buffer.writeString(String(r.bytesSent))
        case .bytesReceived: buffer.writeString(String(r.bytesReceived))
        case .cacheStatus: Self.writeOptional(r.cacheStatus, json: json, quoted: true, to: &buffer)
        case .duration: Self.writeSeconds(r.duration, to: &buffer)
        case .upstreamAddr: Self.writeOptional(r.upstreamAddress, json: json, quoted: false, to: &buffer)
        case .upstreamDuration:
            if let duration = r.upstreamDuration {
                Self.writeSeconds(duration, to: &buffer)
            } else {
                Self.writeAbsent(json: json, to: &buffer)
            }
        case .upstreamGroup: Self.writeOptional(r.upstreamGroup, json: json, quoted: true, to: &buffer)
        case .attempts: buffer.writeString(String(r.attempts))
        case .requestID:
            if json { buffer.writeStaticString("\"") }
            Self.writeRequestID(r.requestID, to: &buffer, json: json)
            if json { buffer.writeStaticString("\"") }
        case .traceID:
            if let trace = r.trace {
                if json { buffer.writeStaticString("\"") }
                trace.writeTraceID(into: &buffer)
                if json { buffer.writeStaticString("\"") }
            } else {
                Self.writeAbsent(json: json, to: &buffer)
            }
        case .spanID:
            if let trace = r.trace, trace.parentID != 0 {
                if json { buffer.writeStaticString("\"") }
                TraceContext.writeHex(trace.parentID, into: &buffer)
                if json { buffer.writeStaticString("\"") }
            } else {
                Self.writeAbsent(json: json, to: &buffer)
            }
        case .route: Self.writeText(r.route, json: json, quoted: true, to: &buffer)
        case .listener: Self.writeText(r.listener, json: json, quoted: true, to: &buffer)
        case .userAgent: Self.writeText(r.userAgent, json: json, quoted: true, to: &buffer)
        case .referer: Self.writeText(r.referer, json: json, quoted: true, to: &buffer)
        }
    }

    /// A string value: JSON string (possibly empty), or text with `-` for empty.
    private static func writeText(_ text: String, json: Bool, quoted: Bool, to buffer: inout ByteBuffer) {
        if json || quoted { buffer.writeStaticString("\"") }
        if !json && text.isEmpty {
            buffer.writeStaticString("-")
        } else {
            Self.writeEscaped(text, to: &buffer, json: json)
        }
        if json || quoted { buffer.writeStaticString("\"") }
    }

    private static func writeOptional(_ text: String?, json: Bool, quoted: Bool, to buffer: inout ByteBuffer) {
        if let text {
            Self.writeText(text, json: json, quoted: quoted, to: &buffer)
        } else {
            Self.writeAbsent(json: json, to: &buffer)
        }
    }

    private static func writeAbsent(json: Bool, to buffer: inout ByteBuffer) {
        buffer.writeStaticString(json ? "null" : "-")
    }
}
