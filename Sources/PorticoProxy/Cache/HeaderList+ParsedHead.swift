import NIOCore
import PorticoCache
import PorticoCore

extension HeaderList {
    /// The fields of a parsed head as strings (only on cache routes: one allocation
    /// per field, paid where the cache needs to reason about them).
    init<Head: HTTP1ParsedHead>(parsed head: Head) {
        var fields: [HeaderList.Field] = []
        fields.reserveCapacity(head.fields.count)
        for index in head.fields.indices {
            fields.append(
                HeaderList.Field(
                    name: String(decoding: head.name(at: index), as: UTF8.self),
                    value: String(decoding: head.value(at: index), as: UTF8.self)
                )
            )
        }
        self.init(fields)
    }
}

/// Turns a stored response into a response head the wire writer can send, so a hit
/// goes through the same path (header rules, `Via`, request id, framing) as a
/// forwarded response.
enum StoredHeadEncoder {
    /// Fields never replayed from storage: framing and the ones Portico sets itself.
    private static let replaced: Set<String> = ["content-length", "age", "transfer-encoding", "connection", "keep-alive", "cache-status"]

    /// Serialises `response` with `status`, `Age`, the body length and `extra` fields,
    /// then parses it back. `keeping` limits the stored fields to those names (a 304
    /// sends only some, RFC 9110 §15.4.5).
    static func head(
        for response: StoredResponse,
        status: Int,
        reason: String,
        age: Int,
        contentLength: Int?,
        extra: [(String, String)] = [],
        keeping: Set<String>? = nil
    ) -> ParsedResponseHead? {
        var bytes = ByteBuffer()
        bytes.writeStaticString("HTTP/1.1 ")
        bytes.writeString(String(status))
        bytes.writeStaticString(" ")
        bytes.writeString(reason.isEmpty ? "-" : reason)
        bytes.writeStaticString("\r\n")
        for field in response.headers.fields {
            let lower = field.name.lowercased()
            if Self.replaced.contains(lower) { continue }
            if let keeping, !keeping.contains(lower) { continue }
            bytes.writeString(field.name)
            bytes.writeStaticString(": ")
            bytes.writeString(field.value)
            bytes.writeStaticString("\r\n")
        }
        bytes.writeStaticString("Age: ")
        bytes.writeString(String(age))
        bytes.writeStaticString("\r\n")
        for (name, value) in extra {
            bytes.writeString(name)
            bytes.writeStaticString(": ")
            bytes.writeString(value)
            bytes.writeStaticString("\r\n")
        }
        if let contentLength {
            bytes.writeStaticString("Content-Length: ")
            bytes.writeString(String(contentLength))
            bytes.writeStaticString("\r\n")
        }
        bytes.writeStaticString("\r\n")
        var parser = HTTP1ResponseHeadParser()
        guard case .complete(let head) = parser.parse(&bytes) else { return nil }
        return head
    }
}
