/// Why a request head was refused before routing: the status to answer with and a short
/// reason for the access log. Reasons are fixed strings (never echo request bytes back),
/// and they are not sent to the client: the body is `ErrorPage.body(status:requestID:)`.
public struct RequestRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int
    public var reason: String

    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status) \(reason)" }

    static func badRequest(_ reason: String) -> RequestRejection { RequestRejection(status: 400, reason: reason) }
}
