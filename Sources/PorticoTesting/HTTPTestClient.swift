import NIOCore
import NIOPosix

/// A minimal HTTP/1.1 client for tests that just need "send a request, get the response",
/// built on ``RawHTTPClient``. It keeps one connection and reuses it while the server
/// keeps it alive.
///
/// ```swift
/// let client = HTTPTestClient(port: proxy.port)
/// let response = try await client.get("/hello", headers: [("X-Test", "1")])
/// ```
public actor HTTPTestClient {
    public let host: String
    public let port: Int
    private let group: any EventLoopGroup
    private var connection: RawHTTPClient?
    /// How many TCP connections this client has opened.
    public private(set) var connectionsOpened = 0

    public init(host: String = "127.0.0.1", port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        self.group = group
    }

    /// `GET path`.
    public func get(_ path: String, headers: [(String, String)] = [], timeout: Duration = .seconds(10)) async throws -> RawResponse {
        try await request(method: "GET", path: path, headers: headers, timeout: timeout)
    }

    /// Sends one request and reads its response. Adds `Host` (unless given) and
    /// `Content-Length` for a body (unless `Content-Length`/`Transfer-Encoding` is given).
    public func request(
        method: String = "GET", path: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeout: Duration = .seconds(10)
    ) async throws -> RawResponse {
        var head = "\(method) \(path) HTTP/1.1\r\n"
        let names = Set(headers.map { $0.0.lowercased() })
        if !names.contains("host") { head += "Host: \(host):\(port)\r\n" }
        if let body, !names.contains("content-length"), !names.contains("transfer-encoding") {
            head += "Content-Length: \(body.count)\r\n"
        }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + (body ?? [])
        let requestCloses = headers.contains { $0.0.lowercased() == "connection" && $0.1.lowercased().contains("close") }

        let reused = connection != nil && connection?.isClosed == false
        do {
            return try await exchange(bytes, isHead: method == "HEAD", closeAfter: requestCloses, timeout: timeout)
        } catch RawHTTPClientError.closedBeforeResponseComplete(nil, _, 0) where reused {
            // The kept-alive connection was closed by the server before we used it: retry once.
            return try await exchange(bytes, isHead: method == "HEAD", closeAfter: requestCloses, timeout: timeout)
        }
    }

    /// Closes the kept connection, if any.
    public func close() async {
        await connection?.close()
        connection = nil
    }

    private func exchange(_ bytes: [UInt8], isHead: Bool, closeAfter: Bool, timeout: Duration) async throws -> RawResponse {
        let client: RawHTTPClient
        if let existing = connection, !existing.isClosed {
            client = existing
        } else {
            client = try await RawHTTPClient.connect(host: host, port: port, group: group)
            connectionsOpened += 1
            connection = client
        }
        do {
            try await client.send(bytes)
            let response = try await client.readResponse(timeout: timeout, requestWasHead: isHead)
            if closeAfter || response.closesConnection || response.framing == .untilClose { await close() }
            return response
        } catch {
            await close()
            throw error
        }
    }

    /// One-shot `GET` of `http://host:port/path` on a fresh connection.
    public static func get(_ url: String, headers: [(String, String)] = [], timeout: Duration = .seconds(10)) async throws -> RawResponse {
        guard url.hasPrefix("http://") else { throw RawHTTPClientError.malformedResponse("only http:// URLs are supported: \(url)") }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        let host: Substring
        let port: Int
        if let colon = authority.lastIndex(of: ":"), let parsed = Int(authority[authority.index(after: colon)...]) {
            host = authority[..<colon]
            port = parsed
        } else {
            host = authority
            port = 80
        }
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? host.dropFirst().dropLast() : host
        return try await HTTPTestClient(host: String(bareHost), port: port)
            .oneShot(path.isEmpty ? "/" : String(path), headers: headers, timeout: timeout)
    }

    /// One-shot `GET path` against `127.0.0.1:port` on a fresh connection.
    public static func get(port: Int, path: String = "/", headers: [(String, String)] = [], timeout: Duration = .seconds(10)) async throws -> RawResponse {
        try await HTTPTestClient(port: port).oneShot(path, headers: headers, timeout: timeout)
    }

    private func oneShot(_ path: String, headers: [(String, String)], timeout: Duration) async throws -> RawResponse {
        do {
            let response = try await get(path, headers: headers, timeout: timeout)
            await close()
            return response
        } catch {
            await close()
            throw error
        }
    }
}
