import NIOCore
import NIOHTTP1
import PorticoCore

/// Serialises responses Portico generates itself.
enum LocalResponseWriter {
    static func write(
        status: HTTPResponseStatus,
        body: ByteBuffer,
        contentType: String?,
        location: String?,
        requestID: String?,
        serverHeader: String?,
        date: String,
        rules: HeaderRules?,
        extraFields: [(String, String)] = [],
        connection: WireHeadWriter.ConnectionHeader,
        includeBody: Bool,
        into out: inout ByteBuffer
    ) {
        var headers = HTTPHeaders()
        if let serverHeader {
            headers.add(name: "Server", value: serverHeader)
        }
        headers.add(name: "Date", value: date)
        if let contentType, body.readableBytes > 0 || status.code >= 400 {
            headers.add(name: "Content-Type", value: contentType)
        }
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        if let location {
            headers.add(name: "Location", value: location)
        }
        if let requestID {
            headers.add(name: "X-Request-ID", value: requestID)
        }
        for (name, value) in extraFields {
            headers.add(name: name, value: value)
        }
        rules?.apply(to: &headers)
        switch connection {
        case .none: break
        case .close: headers.replaceOrAdd(name: "Connection", value: "close")
        case .keepAlive: headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        out.writeStaticString("HTTP/1.1 ")
        out.writeString(String(status.code))
        out.writeStaticString(" ")
        out.writeString(status.reasonPhrase)
        out.writeStaticString("\r\n")
        for (name, value) in headers {
            out.writeString(name)
            out.writeStaticString(": ")
            out.writeString(value)
            out.writeStaticString("\r\n")
        }
        out.writeStaticString("\r\n")
        if includeBody && body.readableBytes > 0 {
            var body = body
            out.writeBuffer(&body)
        }
    }
}
