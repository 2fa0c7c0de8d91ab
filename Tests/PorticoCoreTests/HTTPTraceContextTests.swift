import NIOCore
import PorticoCore
import Testing

/// `traceparent` parsing and formatting, with the examples and rules of W3C Trace
/// Context (https://www.w3.org/TR/trace-context/ §3.2).
@Suite("Trace context")
struct HTTPTraceContextTests {
    static let specExample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func parsesTheSpecExample() throws {
        let trace = try #require(TraceContext.parse(Self.specExample))
        #expect(trace.traceIDHigh == 0x4bf9_2f35_77b3_4da6)
        #expect(trace.traceIDLow == 0xa3ce_929d_0e0e_4736)
        #expect(trace.parentID == 0x00f0_67aa_0ba9_02b7)
        #expect(trace.flags == 0x01)
        #expect(trace.isSampled)
        #expect(trace.traceparent == Self.specExample)
        #expect(trace.traceIDText == "4bf92f3577b34da6a3ce929d0e0e4736")
    }

    @Test func unsampledAndUnknownFlagsOfVersion00PassThrough() throws {
        let unsampled = try #require(TraceContext.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"))
        #expect(!unsampled.isSampled)
        let other = try #require(TraceContext.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"))
        #expect(other.flags == 0x03)
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        var value: String
        var why: String
        var testDescription: String { self.why }
    }

    static let invalid: [Invalid] = [
        Invalid(value: "", why: "empty"),
        Invalid(value: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0", why: "too short"),
        Invalid(value: "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01", why: "upper-case hex"),
        Invalid(value: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902B7-01", why: "one upper-case digit"),
        Invalid(value: "00-00000000000000000000000000000000-00f067aa0ba902b7-01", why: "all-zero trace-id"),
        Invalid(value: "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", why: "all-zero parent-id"),
        Invalid(value: "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", why: "version ff"),
        Invalid(value: "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", why: "version not hex"),
        Invalid(value: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", why: "version 00 with extra fields"),
        Invalid(value: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-011", why: "version 00, 56 characters"),
        Invalid(value: "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", why: "wrong delimiter"),
        Invalid(value: "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01", why: "misplaced dash"),
        Invalid(value: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x", why: "flags not hex"),
        Invalid(value: " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", why: "leading space"),
        Invalid(value: "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.what", why: "future version, no dash after flags"),
        Invalid(value: "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b", why: "future version, too short"),
    ]

    @Test(arguments: invalid)
    func rejects(_ example: Invalid) {
        #expect(TraceContext.parse(example.value) == nil)
    }

    /// §3.2.4: a higher version is parsed as far as version 00 goes; only the sampled
    /// bit of its flags is kept, and Portico sends version 00.
    @Test func futureVersionsAreParsedAsVersion00() throws {
        let exact = try #require(TraceContext.parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09"))
        #expect(exact.flags == 0x01)
        #expect(exact.traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        let extra = try #require(TraceContext.parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-what-the-future-will-be-like"))
        #expect(extra.flags == 0x00)
        #expect(extra.parentID == 0x00f0_67aa_0ba9_02b7)
    }

    @Test func childKeepsTheTraceAndFlags() throws {
        let parent = try #require(TraceContext.parse(Self.specExample))
        let child = parent.child(spanID: 0x0102_0304_0506_0708)
        #expect(child.traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-0102030405060708-01")
    }

    @Test func patchingTheParentIDInPlace() throws {
        let trace = try #require(TraceContext.parse(Self.specExample))
        var buffer = ByteBuffer(string: "traceparent: ")
        let offset = buffer.readableBytes + TraceContext.parentIDOffset
        trace.write(into: &buffer)
        TraceContext.setHex(0xABCD, at: offset, in: &buffer)
        #expect(String(buffer: buffer) == "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-000000000000abcd-01")
    }

    @Test func incomingRequestIDs() {
        #expect(RequestIdentifier.isAcceptable("abc-123"))
        #expect(RequestIdentifier.isAcceptable("a\"b\\c{}"))
        #expect(RequestIdentifier.isAcceptable(String(repeating: "x", count: 200)))
        #expect(!RequestIdentifier.isAcceptable(String(repeating: "x", count: 201)))
        #expect(!RequestIdentifier.isAcceptable(""))
        #expect(!RequestIdentifier.isAcceptable("a b"))
        #expect(!RequestIdentifier.isAcceptable("a\tb"))
        #expect(!RequestIdentifier.isAcceptable("caf\u{E9}"))
        var buffer = ByteBuffer()
        RequestIdentifier.generated(RequestID(rawValue: 0xBEEF)).write(into: &buffer)
        #expect(String(buffer: buffer) == "000000000000beef")
    }
}
