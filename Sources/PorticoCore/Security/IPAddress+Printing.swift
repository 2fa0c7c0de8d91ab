/// Text output of `IPAddress` (RFC 5952).
extension IPAddress {
    /// IPv4 as a dotted quad; IPv6 in the RFC 5952 §4 canonical form: lower-case hex
    /// without leading zeros, the longest run of two or more zero groups (the first one
    /// on a tie) compressed to `::`, and v4-mapped addresses as `::ffff:a.b.c.d` (§5).
    public var description: String {
        String(unsafeUninitializedCapacity: 45) { out in
            var n = 0
            switch family {
            case .ipv4:
                Self.writeDottedQuad(UInt32(truncatingIfNeeded: low), into: out, at: &n)
            case .ipv6:
                if isIPv4MappedIPv6 {
                    for byte in "::ffff:".utf8 {
                        out[n] = byte
                        n += 1
                    }
                    Self.writeDottedQuad(UInt32(truncatingIfNeeded: low), into: out, at: &n)
                } else {
                    writeIPv6(into: out, at: &n)
                }
            }
            return n
        }
    }

    @inline(__always)
    fileprivate func group(_ i: Int) -> UInt16 {
        let half = i < 4 ? high : low
        return UInt16(truncatingIfNeeded: half >> UInt64(48 - 16 * (i & 3)))
    }

    fileprivate func writeIPv6(into out: UnsafeMutableBufferPointer<UInt8>, at n: inout Int) {
        // Longest run of zero groups, at least two long (RFC 5952 §4.2.2, §4.2.3).
        var bestStart = -1
        var bestLength = 1
        var runStart = -1
        for i in 0...8 {
            if i < 8, group(i) == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength {
                    bestStart = runStart
                    bestLength = i - runStart
                }
                runStart = -1
            }
        }
        var i = 0
        var needColon = false
        while i < 8 {
            if i == bestStart {
                out[n] = ASCII.colon
                out[n + 1] = ASCII.colon
                n += 2
                i += bestLength
                needColon = false
                continue
            }
            if needColon {
                out[n] = ASCII.colon
                n += 1
            }
            let g = group(i)
            var shift = 12
            while shift > 0, (g >> UInt16(shift)) & 0xF == 0 { shift -= 4 }
            while shift >= 0 {
                let digit = UInt8(truncatingIfNeeded: (g >> UInt16(shift)) & 0xF)
                out[n] = digit < 10 ? 0x30 + digit : 0x57 + digit
                n += 1
                shift -= 4
            }
            needColon = true
            i += 1
        }
    }

    fileprivate static func writeDottedQuad(_ v: UInt32, into out: UnsafeMutableBufferPointer<UInt8>, at n: inout Int) {
        for part in 0..<4 {
            if part > 0 {
                out[n] = ASCII.dot
                n += 1
            }
            let octet = UInt8(truncatingIfNeeded: v >> UInt32(24 - 8 * part))
            if octet >= 100 {
                out[n] = 0x30 + octet / 100
                n += 1
            }
            if octet >= 10 {
                out[n] = 0x30 + (octet / 10) % 10
                n += 1
            }
            out[n] = 0x30 + octet % 10
            n += 1
        }
    }
}
