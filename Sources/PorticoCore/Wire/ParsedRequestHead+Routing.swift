import NIOCore

extension ParsedRequestHead: RouteHeaderFields {
    /// Route header conditions on the received bytes: name case-insensitive
    /// (RFC 9110 §5.1), value exact. No allocation.
    public func hasField(named name: String, value expected: String?) -> Bool {
        var name = name
        var expected = expected
        return name.withUTF8 { wanted in
            self.bytes.withUnsafeReadableBytes { all in
                let bytes = all.bindMemory(to: UInt8.self)
                for slot in self.fields where slot.nameLength == wanted.count {
                    guard ASCII.equalsIgnoringCase(UnsafeBufferPointer(rebasing: bytes[slot.nameRange]), wanted) else {
                        continue
                    }
                    guard expected != nil else { return true }
                    let matches = expected!.withUTF8 { value in
                        value.count == slot.valueLength
                            && value.elementsEqual(UnsafeBufferPointer(rebasing: bytes[slot.valueRange]))
                    }
                    if matches { return true }
                }
                return false
            }
        }
    }
}
