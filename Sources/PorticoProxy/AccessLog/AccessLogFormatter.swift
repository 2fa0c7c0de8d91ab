import NIOCore
import PorticoCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Formats access-log lines into a `ByteBuffer` without Foundation.
///
/// The built-in text layout follows nginx's `combined` format (so existing log tooling
/// reads the first fields) with Portico's fields appended as `key=value` pairs; the
/// built-in JSON layout is one object per line. With `fields:` a line holds exactly the
/// selected fields in their order (`AccessLogFormatter+Fields.swift`). Date strings are
/// cached per second, as nginx does. One formatter serves every layout of a worker
/// (listeners may choose their own), so the date cache is shared.
struct AccessLogFormatter {
    private(set) var cachedSecond = -1
    private(set) var cachedCommonDate = ""
    private(set) var cachedISODate = ""

    init() {}

    mutating func append(_ record: AccessLogRecord, layout: AccessLogLayout, to buffer: inout ByteBuffer) {
        self.refreshDates(for: record.timestamp)
        if let fields = layout.fields {
            self.appendSelected(record, fields: fields, format: layout.format, to: &buffer)
            return
        }
        switch layout.format {
        case .text:
            self.appendText(record, to: &buffer)
        case .json:
            self.appendJSON(record, to: &buffer)
        }
    }

    private func appendText(_ r: AccessLogRecord, to buffer: inout ByteBuffer) {
        buffer.writeString(r.client)
        buffer.writeString(" - - [")
        buffer.writeString(self.cachedCommonDate)
        buffer.writeString("] \"")
        Self.writeEscaped(r.method, to: &buffer, json: false)
        buffer.writeString(" ")
        Self.writeEscaped(r.target, to: &buffer, json: false)
        buffer.writeString(" ")
        buffer.writeString(r.version)
        buffer.writeString("\" ")
        buffer.writeString(String(r.status))
        buffer.writeString(" ")
        buffer.writeString(String(r.bytesSent))
        buffer.writeString(" \"")
        Self.writeEscaped(r.referer.isEmpty ? "-" : r.referer, to: &buffer, json: false)
        buffer.writeString("\" \"")
        Self.writeEscaped(r.userAgent.isEmpty ? "-" : r.userAgent, to: &buffer, json: false)
        buffer.writeString("\" rt=")
        Self.writeSeconds(r.duration, to: &buffer)
        buffer.writeString(" ua=")
        buffer.writeString(r.upstreamAddress ?? "-")
        buffer.writeString(" ut=")
        if let upstreamDuration = r.upstreamDuration {
            Self.writeSeconds(upstreamDuration, to: &buffer)
        } else {
            buffer.writeString("-")
        }
        buffer.writeString(" up=")
        Self.writeEscaped(r.upstreamGroup ?? "-", to: &buffer, json: false)
        buffer.writeString(" att=")
        buffer.writeString(String(r.attempts))
        buffer.writeString(" rid=")
        Self.writeRequestID(r.requestID, to: &buffer, json: false)
        buffer.writeString(" route=")
        buffer.writeString(r.route.isEmpty ? "-" : r.route)
        buffer.writeString(" host=")
        Self.writeEscaped(r.host.isEmpty ? "-" : r.host, to: &buffer, json: false)
        buffer.writeString("\n")
    }

    private func appendJSON(_ r: AccessLogRecord, to buffer: inout ByteBuffer) {
        buffer.writeString("{\"time\":\"")
        buffer.writeString(self.cachedISODate)
        buffer.writeString("\",\"client\":\"")
        Self.writeEscaped(r.client, to: &buffer, json: true)
        buffer.writeString("\",\"method\":\"")
        Self.writeEscaped(r.method, to: &buffer, json: true)
        buffer.writeString("\",\"target\":\"")
        Self.writeEscaped(r.target, to: &buffer, json: true)
        buffer.writeString("\",\"protocol\":\"")
        buffer.writeString(r.version)
        buffer.writeString("\",\"host\":\"")
        Self.writeEscaped(r.host, to: &buffer, json: true)
        buffer.writeString("\",\"status\":")
        buffer.writeString(String(r.status))
        buffer.writeString(",\"bytes_sent\":")
        buffer.writeString(String(r.bytesSent))
        buffer.writeString(",\"duration\":")
        Self.writeSeconds(r.duration, to: &buffer)
        buffer.writeString(",\"upstream\":")
        if let upstream = r.upstreamAddress {
            buffer.writeString("\"")
            Self.writeEscaped(upstream, to: &buffer, json: true)
            buffer.writeString("\"")
        } else {
            buffer.writeString("null")
        }
        buffer.writeString(",\"upstream_duration\":")
        if let upstreamDuration = r.upstreamDuration {
            Self.writeSeconds(upstreamDuration, to: &buffer)
        } else {
            buffer.writeString("null")
        }
        buffer.writeString(",\"upstream_group\":")
        if let group = r.upstreamGroup {
            buffer.writeString("\"")
            Self.writeEscaped(group, to: &buffer, json: true)
            buffer.writeString("\"")
        } else {
            buffer.writeString("null")
        }
        buffer.writeString(",\"attempts\":")
        buffer.writeString(String(r.attempts))
        buffer.writeString(",\"request_id\":\"")
        Self.writeRequestID(r.requestID, to: &buffer, json: true)
        buffer.writeString("\",\"route\":\"")
        Self.writeEscaped(r.route, to: &buffer, json: true)
        buffer.writeString("\",\"user_agent\":\"")
        Self.writeEscaped(r.userAgent, to: &buffer, json: true)
        buffer.writeString("\",\"referer\":\"")
        Self.writeEscaped(r.referer, to: &buffer, json: true)
        buffer.writeString("\"}\n")
    }

    /// A generated id as hex; a received one escaped (it is visible ASCII, but may
    /// hold quotes or backslashes).
    static func writeRequestID(_ id: RequestIdentifier, to buffer: inout ByteBuffer, json: Bool) {
        switch id {
        case .generated: id.write(into: &buffer)
        case .received(let text): Self.writeEscaped(text, to: &buffer, json: json)
        }
    }

    /// Seconds with millisecond precision, e.g. `0.003`.
    static func writeSeconds(_ amount: TimeAmount, to buffer: inout ByteBuffer) {
        let millis = max(0, amount.nanoseconds / 1_000_000)
        buffer.writeString(String(millis / 1000))
        buffer.writeString(".")
        let fraction = millis % 1000
        if fraction < 100 { buffer.writeString(fraction < 10 ? "00" : "0") }
        buffer.writeString(String(fraction))
    }

    /// Escapes quotes, backslashes and control bytes so a client cannot forge log
    /// lines (nginx escapes the same way, as `\xHH`; JSON uses `\u00HH`).
    static func writeEscaped(_ text: String, to buffer: inout ByteBuffer, json: Bool) {
        let utf8 = text.utf8
        let needsEscaping = utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0x7F }
        guard needsEscaping else {
            buffer.writeString(text)
            return
        }
        for byte in utf8 {
            if byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                if json {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                        buffer.writeInteger(UInt8(ascii: "\\"))
                        buffer.writeInteger(byte)
                    } else {
                        buffer.writeString("\\u00")
                        buffer.writeInteger(Self.hexDigit(byte >> 4))
                        buffer.writeInteger(Self.hexDigit(byte & 0xF))
                    }
                } else {
                    buffer.writeString("\\x")
                    buffer.writeInteger(Self.hexDigit(byte >> 4))
                    buffer.writeInteger(Self.hexDigit(byte & 0xF))
                }
            } else {
                buffer.writeInteger(byte)
            }
        }
    }

    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    private mutating func refreshDates(for second: Int) {
        guard second != self.cachedSecond else { return }
        self.cachedSecond = second
        var time = time_t(second)
        var parts = tm()
        gmtime_r(&time, &parts)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let year = Int(parts.tm_year) + 1900
        let month = Int(parts.tm_mon)
        let day = Self.twoDigits(Int(parts.tm_mday))
        let hour = Self.twoDigits(Int(parts.tm_hour))
        let minute = Self.twoDigits(Int(parts.tm_min))
        let sec = Self.twoDigits(Int(parts.tm_sec))
        self.cachedCommonDate = "\(day)/\(months[month])/\(year):\(hour):\(minute):\(sec) +0000"
        self.cachedISODate = "\(year)-\(Self.twoDigits(month + 1))-\(day)T\(hour):\(minute):\(sec)Z"
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : String(value)
    }
}
