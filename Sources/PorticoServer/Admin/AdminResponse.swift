/// A complete admin response, built by `AdminAPI` and written by the connection
/// handler; plain values so the API is tested without sockets.
public struct AdminResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: String

    public init(status: Int, headers: [(String, String)] = [], body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        self.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    static let jsonType = "application/json"
    static let textType = "text/plain; charset=utf-8"
    /// Prometheus text exposition format 0.0.4.
    static let prometheusType = "text/plain; version=0.0.4; charset=utf-8"

    static func json(_ value: AdminJSON, status: Int = 200) -> AdminResponse {
        AdminResponse(status: status, headers: [("Content-Type", jsonType)], body: value.rendered + "\n")
    }

    /// A document another component already rendered as JSON.
    static func rawJSON(_ text: String, status: Int = 200) -> AdminResponse {
        AdminResponse(status: status, headers: [("Content-Type", jsonType)], body: text)
    }

    static func text(_ text: String, status: Int = 200, contentType: String = textType) -> AdminResponse {
        AdminResponse(status: status, headers: [("Content-Type", contentType)], body: text)
    }

    /// `{"error": "..."}`.
    static func error(_ status: Int, _ message: String, headers: [(String, String)] = []) -> AdminResponse {
        var response = json(.object([("error", .string(message))]), status: status)
        response.headers += headers
        return response
    }
}
