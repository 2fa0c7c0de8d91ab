// TEMPORARY (integration): replaced by the compression work's real implementations.
public enum ETagWeakening {
    public static func weaken(_ etag: String) -> String { etag.hasPrefix("W/") ? etag : "W/" + etag }
}

public enum VaryField {
    public static func addingAcceptEncoding(to existing: String?) -> String {
        guard let existing, !existing.isEmpty else { return "Accept-Encoding" }
        return existing + ", Accept-Encoding"
    }
}
