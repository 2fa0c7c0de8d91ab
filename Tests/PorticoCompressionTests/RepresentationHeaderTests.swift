import PorticoCompression
import Testing

/// Header changes that go with a compressed representation.
@Suite("Compressed representation headers")
struct RepresentationHeaderTests {
    @Test("§8.8.3 a strong ETag becomes weak for a compressed representation")
    func strongBecomesWeak() {
        #expect(ETagWeakening.weaken("\"abc\"") == "W/\"abc\"")
        #expect(ETagWeakening.weaken("\"\"") == "W/\"\"")
        #expect(ETagWeakening.weaken(" \"v1\" ") == "W/\"v1\"")
    }

    @Test("§8.8.3 a weak ETag stays as it is")
    func weakStaysWeak() {
        #expect(ETagWeakening.weaken("W/\"abc\"") == "W/\"abc\"")
    }

    @Test("§8.8.3 an unquoted (invalid) ETag is quoted and weakened")
    func unquoted() {
        #expect(ETagWeakening.weaken("abc") == "W/\"abc\"")
    }

    @Test("§12.5.5 Vary gains Accept-Encoding")
    func varyAdded() {
        #expect(VaryField.addingAcceptEncoding(to: nil) == "Accept-Encoding")
        #expect(VaryField.addingAcceptEncoding(to: "") == "Accept-Encoding")
        #expect(VaryField.addingAcceptEncoding(to: "Origin") == "Origin, Accept-Encoding")
        #expect(VaryField.addingAcceptEncoding(to: "Origin, Cookie ") == "Origin, Cookie, Accept-Encoding")
    }

    @Test("§12.5.5 Vary that already lists Accept-Encoding or is * is unchanged")
    func varyUnchanged() {
        #expect(VaryField.addingAcceptEncoding(to: "accept-encoding") == "accept-encoding")
        #expect(VaryField.addingAcceptEncoding(to: "Origin, Accept-Encoding") == "Origin, Accept-Encoding")
        #expect(VaryField.addingAcceptEncoding(to: "*") == "*")
        #expect(VaryField.addingAcceptEncoding(to: "Origin, *") == "Origin, *")
    }
}
