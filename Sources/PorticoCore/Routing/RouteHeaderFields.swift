import NIOHTTP1

/// What route matching needs from a request's header fields: whether a field with a
/// given name (case-insensitive, RFC 9110 §5.1) is present, optionally with an exact
/// value. Lets the route table run on NIO's `HTTPHeaders` and on Portico's own parsed
/// heads (`ParsedRequestHead`) without converting one into the other.
public protocol RouteHeaderFields {
    func hasField(named name: String, value: String?) -> Bool
}

extension HTTPHeaders: RouteHeaderFields {
    public func hasField(named name: String, value expected: String?) -> Bool {
        for field in self where ASCII.equalsIgnoringCase(field.name.utf8, name.utf8) {
            guard let expected else { return true }
            if field.value.utf8.count == expected.utf8.count, field.value.utf8.elementsEqual(expected.utf8) {
                return true
            }
        }
        return false
    }
}
