/// A dictionary key over host-name bytes that hashes and compares ignoring ASCII case
/// (RFC 3986 §3.2.2, RFC 9110 §4.2.3: host is case-insensitive). Wrapping the request's
/// `Substring` lets `RouteTable` look a host up without lower-casing it into a new string.
struct HostKey: Hashable, Sendable {
    let bytes: Substring

    init(_ bytes: Substring) {
        self.bytes = bytes
    }

    static func == (lhs: HostKey, rhs: HostKey) -> Bool {
        ASCII.equalsIgnoringCase(lhs.bytes.utf8, rhs.bytes.utf8)
    }

    func hash(into hasher: inout Hasher) {
        // Feed lower-cased bytes eight at a time: fewer Hasher rounds than one per byte.
        ASCII.withBytes(bytes) { buffer in
            var word: UInt64 = 0
            var shift: UInt64 = 0
            for byte in buffer {
                word |= UInt64(ASCII.lower(byte)) << shift
                shift += 8
                if shift == 64 {
                    hasher.combine(word)
                    word = 0
                    shift = 0
                }
            }
            hasher.combine(word)
            hasher.combine(buffer.count)
        }
    }
}
