import NIOCore
import PorticoCore

/// Request ids and W3C Trace Context (https://www.w3.org/TR/trace-context/).
///
/// Every request gets an id when it starts: the client's `X-Request-ID` when it is
/// acceptable and `request_id.accept_incoming` allows it, else a generated one. The id
/// goes upstream as `X-Request-ID`, back to the client, and into the access log.
///
/// With trace context on, each upstream attempt is a new span: the request continues
/// the client's trace (a valid `traceparent`) or starts one, and every attempt sends a
/// `traceparent` with a fresh span id as its parent-id, so an origin (or a tracing
/// backend) can tell a retry from the first try.
extension DownstreamHandler {
    /// Reads `X-Request-ID`, `traceparent` and `tracestate` in one pass over the fields
    /// and sets the exchange's id and trace. Costs two random draws for a new trace and
    /// no allocation unless the client's id is used.
    func identifyRequest(_ exchange: Exchange, head: ParsedRequestHead, settings: ProxySettings) {
        var requestIDIndex = -1
        var requestIDCount = 0
        var traceParentIndex = -1
        var traceParentCount = 0
        let acceptIncoming = settings.requestID.acceptIncoming
        let tracing = settings.traceContext.enabled
        if acceptIncoming || tracing {
            head.bytes.withUnsafeReadableBytes { all in
                let bytes = all.bindMemory(to: UInt8.self)
                for (index, slot) in head.fields.enumerated() {
                    switch slot.nameLength {
                    case 11 where tracing:
                        if FieldName.named(UnsafeBufferPointer(rebasing: bytes[slot.nameRange]), "traceparent") {
                            traceParentIndex = index
                            traceParentCount += 1
                        }
                    case 12 where acceptIncoming:
                        if FieldName.named(UnsafeBufferPointer(rebasing: bytes[slot.nameRange]), "x-request-id") {
                            requestIDIndex = index
                            requestIDCount += 1
                        }
                    default:
                        break
                    }
                }
            }
        }

        // Several X-Request-ID fields: ambiguous, so none is used.
        if requestIDCount == 1,
           let received = head.withUnsafeBytes(of: head.fields[requestIDIndex].valueRange, { value in
               RequestIdentifier.isAcceptable(value) ? String(decoding: value, as: UTF8.self) : nil
           })
        {
            exchange.requestID = .received(received)
        } else {
            exchange.requestID = .generated(self.worker.requestIDs.next())
        }

        guard tracing else { return }
        // Several traceparent fields cannot be combined (it is not a list): invalid.
        if traceParentCount == 1,
           let incoming = head.withUnsafeBytes(of: head.fields[traceParentIndex].valueRange, TraceContext.parse)
        {
            exchange.trace = incoming
            exchange.keepTraceState = true
        } else {
            // A new trace (§3.2.2.3: random trace id, not all zero). Flags: `sampled`
            // only if configured; Portico records no spans of its own.
            var high = self.worker.traceRandom.next()
            let low = self.worker.traceRandom.next()
            if high | low == 0 { high = 1 }
            exchange.trace = TraceContext(
                traceIDHigh: high,
                traceIDLow: low,
                parentID: 0,
                flags: settings.traceContext.sampleNewTraces ? 0x01 : 0x00
            )
            exchange.keepTraceState = false
        }
    }

    /// A new span id for an upstream attempt (never 0, which §3.2.2.3 forbids).
    func startAttemptSpan(_ exchange: Exchange) {
        guard var trace = exchange.trace else { return }
        var span = self.worker.traceRandom.next()
        if span == 0 { span = 1 }
        trace.parentID = span
        exchange.trace = trace
    }

    /// A retry reuses the upstream head written for an earlier attempt: give it this
    /// attempt's span id (16 bytes patched in place, the rest of the head unchanged).
    func refreshAttemptSpan(in exchange: Exchange) {
        guard let trace = exchange.trace, let offset = exchange.traceParentOffset, exchange.upstreamHead != nil else {
            return
        }
        TraceContext.setHex(trace.parentID, at: offset, in: &exchange.upstreamHead!)
    }

    /// The id for a response's `X-Request-ID`, or nil when `request_id.response_header`
    /// leaves this status out.
    func responseRequestID(_ exchange: Exchange, status: Int) -> RequestIdentifier? {
        if status >= 400 || self.settings.requestID.responseHeader == .always {
            return exchange.requestID
        }
        return nil
    }
}
