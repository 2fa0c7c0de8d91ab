/// An entity-tag (RFC 9110 §8.8.3): an opaque quoted string, perhaps marked weak.
public struct EntityTag: Sendable, Equatable {
    public var isWeak: Bool
    /// The characters between the quotes.
    public var opaque: String

    public init(isWeak: Bool, opaque: String) {
        self.isWeak = isWeak
        self.opaque = opaque
    }

    /// One entity-tag (`"xyz"` or `W/"xyz"`), nil when malformed.
    public init?(parsing text: some StringProtocol) {
        let tags = Self.list(String(text))
        guard let tags, tags.count == 1, case .tag(let tag) = tags[0] else { return nil }
        self = tag
    }

    /// Strong comparison (RFC 9110 §8.8.3.2): neither weak, same opaque tag.
    public func strongMatches(_ other: EntityTag) -> Bool {
        !self.isWeak && !other.isWeak && self.opaque == other.opaque
    }

    /// Weak comparison (RFC 9110 §8.8.3.2): same opaque tag, weakness ignored.
    public func weakMatches(_ other: EntityTag) -> Bool {
        self.opaque == other.opaque
    }

    /// An element of an `If-Match`/`If-None-Match` value.
    public enum ListElement: Sendable, Equatable {
        case any
        case tag(EntityTag)
    }

    /// The elements of `"*"` or `1#entity-tag` (RFC 9110 §13.1.1), parsed by hand
    /// because an opaque tag may itself contain commas. nil when malformed.
    public static func list(_ value: String) -> [ListElement]? {
        let bytes = Array(value.utf8)
        var index = 0
        var result: [ListElement] = []
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x20 || byte == 0x09 || byte == 0x2C {
                index += 1
                continue
            }
            if byte == 0x2A {
                result.append(.any)
                index += 1
                continue
            }
            var weak = false
            if byte == 0x57, index + 1 < bytes.count, bytes[index + 1] == 0x2F {
                weak = true
                index += 2
            }
            guard index < bytes.count, bytes[index] == 0x22 else { return nil }
            let start = index + 1
            guard let end = bytes[start...].firstIndex(of: 0x22) else { return nil }
            result.append(.tag(EntityTag(isWeak: weak, opaque: String(decoding: bytes[start..<end], as: UTF8.self))))
            index = end + 1
        }
        return result
    }
}
