import NIOCore
import PorticoCore

/// Writes the heads Portico sends, straight from the received bytes.
///
/// Instead of rebuilding header objects, the writer copies each run of consecutive
/// fields that pass unchanged as one block of the received head (the parser already
/// validated every line), leaves out the fields it drops or merges, and appends the
/// fields it adds. A typical request becomes: a rewritten request line, one memcpy,
/// and the `X-Forwarded-*`/`Via`/framing lines.
enum WireHeadWriter {
    /// What a route changes in a request on its way upstream.
    struct RequestEdits {
        /// Origin-form target to send instead of the received one (`strip_prefix`,
        /// absolute-form conversion), or nil to copy the received target.
        var target: String?
        /// `Host` to send instead of the received one, or nil to keep it.
        var host: String?
        /// Value for `X-Forwarded-Host` (the host the client asked for), or nil for none.
        var forwardedHost: String?
        var clientAddress: String
        var proto: ForwardedHeaders.Proto
        var rules: CompiledHeaderRules
        /// Whether the received `X-Forwarded-For`/`Forwarded` came from a trusted proxy.
        /// When false they are replaced, never passed on: a client could otherwise
        /// claim any address to everything behind Portico.
        var trustForwarded: Bool = true
        /// Fields added upstream (forwarded JWT claims, forward-auth headers). Each
        /// replaces the client's fields of the same name; one with an empty value only
        /// removes them and is not written.
        var extraFields: [(String, String)] = []
        /// Leave out `Authorization` (it was consumed by Portico's authentication).
        var dropAuthorization: Bool = false
        /// Sent as `X-Request-ID` (replacing the client's), or nil to pass the client's on.
        var requestID: RequestIdentifier? = nil
        /// Sent as `traceparent` (replacing the client's), or nil to pass the client's on
        /// untouched (trace context propagation off).
        var trace: TraceContext? = nil
        /// Pass the client's `tracestate` on: only with a valid incoming `traceparent`
        /// (W3C Trace Context §3.3.1: without one, `tracestate` means nothing).
        var keepTraceState: Bool = true
        /// An Upgrade request that may become a tunnel: its `Upgrade` field goes upstream
        /// with `Connection: upgrade` (RFC 9110 §7.8; both are hop-by-hop, so a proxy
        /// that forwards the upgrade sends them itself). See `UpgradeOffer`.
        var upgrade: Bool = false
    }

    /// Writes the upstream request head. Returns where the `traceparent` parent-id's 16
    /// hex digits are in `out` (relative to its reader index) when one was written, so
    /// a retry can give its attempt a new span id without rewriting the head.
    @discardableResult
    static func writeRequest(_ head: ParsedRequestHead, edits: RequestEdits, into out: inout ByteBuffer) -> Int? {
        let rules = edits.rules
        let nominated = head.connection.hasOtherTokens ? FieldName.nominated(by: head) : []
        var parentIDOffset: Int?
        head.bytes.withUnsafeReadableBytes { all in
            let bytes = all.bindMemory(to: UInt8.self)
            // Request line: the method as received, the target, always HTTP/1.1 (RFC 9110 §2.5).
            out.writeBytes(UnsafeRawBufferPointer(rebasing: all[0..<head.targetRange.lowerBound]))
            if let target = edits.target {
                out.writeString(target)
            } else {
                out.writeBytes(UnsafeRawBufferPointer(rebasing: all[head.targetRange]))
            }
            out.writeStaticString(" HTTP/1.1\r\n")

            let keepHost = edits.host == nil && !rules.replacesHost
            let trusted = edits.trustForwarded
            let dropAuthorization = edits.dropAuthorization
            let replaceTraceParent = edits.trace != nil
            let keepTraceState = edits.keepTraceState
            let replaceRequestID = edits.requestID != nil
            let keepUpgrade = edits.upgrade
            // Added fields replace any the client sent under the same name (a client
            // must not be able to pre-set X-User-Id before authentication adds it).
            let replaced = edits.extraFields.map { Array($0.0.lowercased().utf8) }
            let (mergedForwardedFor, mergedVia) = Self.copyFields(
                of: head, all: all, rules: rules, nominated: nominated, into: &out
            ) { name in
                if dropAuthorization && name.count == 13 && FieldName.named(name, "authorization") { return .drop }
                if !replaced.isEmpty && FieldName.isListed(name, in: replaced) { return .drop }
                if keepUpgrade && name.count == 7 && FieldName.named(name, "upgrade") { return .keep }
                switch FieldName.requestDisposition(name) {
                case .host: return keepHost ? .keep : .drop
                case .forwarded: return trusted ? .keep : .drop
                case .forwardedFor: return trusted ? .forwardedFor : .drop
                case .traceParent: return replaceTraceParent ? .drop : .keep
                case .traceState: return keepTraceState ? .keep : .drop
                case .requestID: return replaceRequestID ? .drop : .keep
                case let other: return other
                }
            }

            if let host = edits.host, !rules.replacesHost {
                Self.writeField("Host", host, into: &out)
            }
            if !rules.replacesForwardedFor {
                // X-Forwarded-For: what trusted earlier proxies said, then this client (as
                // nginx's $proxy_add_x_forwarded_for behind `set_real_ip_from`).
                out.writeStaticString("X-Forwarded-For: ")
                if mergedForwardedFor {
                    Self.writeMergedValues(of: head, named: "x-forwarded-for", bytes: bytes, into: &out)
                    out.writeStaticString(", ")
                }
                out.writeString(edits.clientAddress)
                out.writeStaticString("\r\n")
            }
            if !rules.replacesForwardedProto {
                out.writeStaticString(edits.proto == .https ? "X-Forwarded-Proto: https\r\n" : "X-Forwarded-Proto: http\r\n")
            }
            if let forwardedHost = edits.forwardedHost, !rules.replacesForwardedHost {
                Self.writeField("X-Forwarded-Host", forwardedHost, into: &out)
            }
            if !rules.replacesVia {
                Self.writeVia(merging: mergedVia ? head : nil, bytes: bytes, receivedMinor: head.version.minor, into: &out)
            }
            switch head.framing {
            case .none:
                break
            case .contentLength(let length):
                out.writeStaticString("Content-Length: ")
                out.writeString(String(length))
                out.writeStaticString("\r\n")
            case .chunked:
                out.writeStaticString("Transfer-Encoding: chunked\r\n")
            }
            if let requestID = edits.requestID {
                out.writeStaticString("X-Request-ID: ")
                requestID.write(into: &out)
                out.writeStaticString("\r\n")
            }
            if let trace = edits.trace {
                out.writeStaticString("traceparent: ")
                parentIDOffset = out.readableBytes + TraceContext.parentIDOffset
                trace.write(into: &out)
                out.writeStaticString("\r\n")
            }
            for (name, value) in edits.extraFields where !value.isEmpty {
                Self.writeField(name, value, into: &out)
            }
            rules.writeAdded(into: &out)
            if keepUpgrade {
                out.writeStaticString("Connection: upgrade\r\n")
            }
            out.writeStaticString("\r\n")
        }
        return parentIDOffset
    }

    /// How the client connection frames the body of a forwarded response.
    enum ClientFraming {
        /// No body, or a body whose own framing (Content-Length) passes unchanged.
        case asReceived
        /// `Transfer-Encoding: chunked` (the body is chunked on the wire to the client).
        case chunked
        /// No framing header: the body ends when the connection closes (HTTP/1.0 clients).
        case untilClose
    }

    /// Writes the response head for the client: always HTTP/1.1 with the origin's status
    /// and reason, hop-by-hop fields dropped, `Via` appended, route rules applied, and
    /// `X-Request-ID` set to `requestID` (replacing the origin's) when given.
    /// `extraDropped` names (lower-case) fields left out besides (compression replaces
    /// `Content-Length`, `ETag` and `Vary`).
    static func writeResponse(
        _ head: ParsedResponseHead,
        framing: ClientFraming,
        connection: ConnectionHeader,
        rules: CompiledHeaderRules,
        extraLines: [String] = [],
        requestID: RequestIdentifier? = nil,
        upgrade: Bool = false,
        dropping extraDropped: [[UInt8]] = [],
        into out: inout ByteBuffer
    ) {
        let replaceRequestID = requestID != nil
        var nominated = head.connection.hasOtherTokens ? FieldName.nominated(by: head) : []
        if !extraDropped.isEmpty { nominated += extraDropped }
        head.bytes.withUnsafeReadableBytes { all in
            let bytes = all.bindMemory(to: UInt8.self)
            out.writeStaticString("HTTP/1.1 ")
            out.writeString(String(head.status))
            out.writeStaticString(" ")
            out.writeBytes(UnsafeRawBufferPointer(rebasing: all[head.reasonRange]))
            out.writeStaticString("\r\n")

            let (_, mergedVia) = Self.copyFields(
                of: head, all: all, rules: rules, nominated: nominated, into: &out
            ) { name in
                if upgrade && name.count == 7 && FieldName.named(name, "upgrade") { return .keep }
                let disposition = FieldName.responseDisposition(name)
                if disposition == .requestID { return replaceRequestID ? .drop : .keep }
                return disposition
            }

            if !rules.replacesVia {
                Self.writeVia(merging: mergedVia ? head : nil, bytes: bytes, receivedMinor: head.version.minor, into: &out)
            }
            if let requestID {
                out.writeStaticString("X-Request-ID: ")
                requestID.write(into: &out)
                out.writeStaticString("\r\n")
            }
            rules.writeAdded(into: &out)
            for line in extraLines {
                out.writeString(line)
                out.writeStaticString("\r\n")
            }
            if framing == .chunked {
                out.writeStaticString("Transfer-Encoding: chunked\r\n")
            }
            switch connection {
            case .none: break
            case .close: out.writeStaticString("Connection: close\r\n")
            case .keepAlive: out.writeStaticString("Connection: keep-alive\r\n")
            }
            if upgrade {
                // A 101 relayed to the client (RFC 9110 §15.2.2): the switched-to
                // protocol's `Upgrade` was kept above; the option that names it is re-sent.
                out.writeStaticString("Connection: upgrade\r\n")
            }
            out.writeStaticString("\r\n")
        }
    }

    /// Copies the head's field lines to `out`, leaving out those whose disposition is not
    /// `.keep` (or that a rule or `Connection` names). Each run of kept lines is copied as
    /// one block of the received bytes. Returns whether `X-Forwarded-For` / `Via` fields
    /// were seen (their values are merged by the caller).
    @inline(__always)
    private static func copyFields<Head: HTTP1ParsedHead>(
        of head: Head,
        all: UnsafeRawBufferPointer,
        rules: CompiledHeaderRules,
        nominated: [[UInt8]],
        into out: inout ByteBuffer,
        disposition classify: (UnsafeBufferPointer<UInt8>) -> FieldName.Disposition
    ) -> (forwardedFor: Bool, via: Bool) {
        let bytes = all.bindMemory(to: UInt8.self)
        var sawForwardedFor = false
        var sawVia = false
        let fields = head.fields
        let fieldsEnd = all.count - 2  // before the final CRLF
        var runStart = fields.first?.nameStart ?? fieldsEnd
        for (index, slot) in fields.enumerated() {
            let name = UnsafeBufferPointer(rebasing: bytes[slot.nameRange])
            var disposition = classify(name)
            if disposition == .keep,
                (!rules.dropped.isEmpty && FieldName.isListed(name, in: rules.dropped))
                    || (!nominated.isEmpty && FieldName.isListed(name, in: nominated))
            {
                disposition = .drop
            }
            guard disposition != .keep else { continue }
            // Copy the run of unchanged lines before this one, skip this line.
            out.writeBytes(UnsafeRawBufferPointer(rebasing: all[runStart..<slot.nameStart]))
            runStart = index + 1 < fields.count ? fields[index + 1].nameStart : fieldsEnd
            if disposition == .forwardedFor { sawForwardedFor = true }
            if disposition == .via { sawVia = true }
        }
        out.writeBytes(UnsafeRawBufferPointer(rebasing: all[runStart..<fieldsEnd]))
        return (sawForwardedFor, sawVia)
    }

    enum ConnectionHeader {
        case none
        case close
        case keepAlive
    }

    static func writeField(_ name: String, _ value: String, into out: inout ByteBuffer) {
        out.writeString(name)
        out.writeStaticString(": ")
        out.writeString(value)
        out.writeStaticString("\r\n")
    }

    /// `Via: <received values>, 1.x portico` (RFC 9110 §7.6.3: received-protocol is the
    /// version of the message as Portico received it).
    private static func writeVia<Head: HTTP1ParsedHead>(
        merging head: Head?,
        bytes: UnsafeBufferPointer<UInt8>,
        receivedMinor: Int,
        into out: inout ByteBuffer
    ) {
        out.writeStaticString("Via: ")
        if let head {
            Self.writeMergedValues(of: head, named: "via", bytes: bytes, into: &out)
            out.writeStaticString(", ")
        }
        out.writeStaticString(receivedMinor == 0 ? "1.0 portico\r\n" : "1.1 portico\r\n")
    }

    /// The values of every field named `name`, joined with ", " (RFC 9110 §5.3).
    private static func writeMergedValues<Head: HTTP1ParsedHead>(
        of head: Head,
        named name: StaticString,
        bytes: UnsafeBufferPointer<UInt8>,
        into out: inout ByteBuffer
    ) {
        var first = true
        for slot in head.fields where FieldName.named(UnsafeBufferPointer(rebasing: bytes[slot.nameRange]), name) {
            if slot.valueLength == 0 { continue }
            if !first { out.writeStaticString(", ") }
            first = false
            out.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[slot.valueRange]))
        }
    }
}

/// A route's header rules prepared for the wire writer: lower-cased names to drop from
/// the received head, the lines to append, and which of Portico's own fields a rule
/// overrides (a rule that sets or removes `X-Forwarded-Proto` wins over Portico's value,
/// as with `HeaderRules.apply` after the forwarded headers).
struct CompiledHeaderRules: Sendable {
    let dropped: [[UInt8]]
    let added: [UInt8]
    let replacesHost: Bool
    let replacesForwardedFor: Bool
    let replacesForwardedProto: Bool
    let replacesForwardedHost: Bool
    let replacesVia: Bool

    init(_ rules: HeaderRules) {
        self.dropped = rules.droppedNames
        var added = ""
        for field in rules.set + rules.add {
            added += "\(field.name): \(field.value)\r\n"
        }
        self.added = Array(added.utf8)
        func touches(_ name: String) -> Bool {
            (rules.remove + rules.set.map(\.name)).contains { $0.lowercased() == name }
        }
        self.replacesHost = rules.set.contains { $0.name.lowercased() == "host" }
        self.replacesForwardedFor = touches("x-forwarded-for")
        self.replacesForwardedProto = touches("x-forwarded-proto")
        self.replacesForwardedHost = touches("x-forwarded-host")
        self.replacesVia = touches("via")
    }

    /// No rules.
    static let none = CompiledHeaderRules(HeaderRules())

    func writeAdded(into out: inout ByteBuffer) {
        if !self.added.isEmpty {
            out.writeBytes(self.added)
        }
    }
}
