import NIOCore
import PorticoCore
import Testing

/// `UpgradeOffer`: which requests may become tunnels (RFC 9110 §7.8, RFC 6455 §4.1) and
/// which 101 answers accept them.
@Suite("Upgrade offers")
struct HTTPUpgradeOfferTests {
    static func request(_ text: String) throws -> ParsedRequestHead {
        var buffer = ByteBuffer(string: text)
        var parser = HTTP1RequestHeadParser(limits: LimitsConfig())
        guard case .complete(let head) = parser.parse(&buffer) else {
            throw ParseFailure()
        }
        return head
    }

    static func response(_ text: String) throws -> ParsedResponseHead {
        var buffer = ByteBuffer(string: text)
        var parser = HTTP1ResponseHeadParser()
        guard case .complete(let head) = parser.parse(&buffer) else {
            throw ParseFailure()
        }
        return head
    }

    struct ParseFailure: Error {}

    static let webSocketRequest = """
        GET /chat HTTP/1.1\r
        Host: example.test\r
        Connection: keep-alive, Upgrade\r
        Upgrade: websocket\r
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
        Sec-WebSocket-Version: 13\r
        \r

        """

    @Test func aWebSocketRequestIsAnOffer() throws {
        let head = try Self.request(Self.webSocketRequest)
        #expect(UpgradeOffer.isRequested(by: head))
        let offer = try #require(UpgradeOffer(tunnelling: head))
        #expect(offer.isWebSocket)
        #expect(offer.protocols == [.init(name: "websocket")])
    }

    @Test func severalUpgradeFieldsAndVersionsAreOneList() throws {
        let head = try Self.request(
            "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: HTTP/2.0, SHTTP/1.3\r\nUpgrade: IRC/6.9, RTA/x11\r\n\r\n"
        )
        let offer = try #require(UpgradeOffer(tunnelling: head))
        #expect(offer.protocols.map(\.description) == ["http/2.0", "shttp/1.3", "irc/6.9", "rta/x11"])
        #expect(!offer.isWebSocket)
    }

    @Test(arguments: [
        // RFC 9110 §7.8: Upgrade in HTTP/1.0 is ignored.
        "GET / HTTP/1.0\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
        // Only GET without a body tunnels.
        "POST / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 3\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 3\r\n\r\n",
        "OPTIONS / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
        // Upgrade without the Connection option, or the option without the field.
        "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n",
        // Malformed or empty lists.
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: web socket\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: a/b/c\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: ,\r\n\r\n",
    ])
    func requestsThatDoNotTunnel(_ text: String) throws {
        let head = try Self.request(text)
        #expect(UpgradeOffer(tunnelling: head) == nil)
    }

    @Test func aMatching101Accepts() throws {
        let offer = try #require(UpgradeOffer(tunnelling: try Self.request(Self.webSocketRequest)))
        let response = try Self.response(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n"
        )
        #expect(offer.accepts(response))
    }

    @Test(arguments: [
        // Not a 101.
        "HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nConnection: upgrade\r\nContent-Length: 0\r\n\r\n",
        // RFC 6455 §4.1: Upgrade must be websocket, Connection must carry upgrade.
        "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket, h2c\r\nConnection: upgrade\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket/13\r\nConnection: upgrade\r\n\r\n",
    ])
    func a101ThatDoesNotMatchIsRefused(_ text: String) throws {
        let offer = try #require(UpgradeOffer(tunnelling: try Self.request(Self.webSocketRequest)))
        #expect(!offer.accepts(try Self.response(text)))
    }

    /// RFC 9110 §7.8: the server may only switch to protocols the client named.
    @Test func genericProtocolsMustHaveBeenOffered() throws {
        let offer = try #require(UpgradeOffer(upgradeValues: ["echo-raw, foo/2"]))
        #expect(offer.accepts(upgradeValues: ["echo-raw"]))
        #expect(offer.accepts(upgradeValues: ["ECHO-RAW"]))
        #expect(offer.accepts(upgradeValues: ["echo-raw/1"]))  // offered without a version
        #expect(offer.accepts(upgradeValues: ["foo/2"]))
        #expect(offer.accepts(upgradeValues: ["foo"]))
        #expect(offer.accepts(upgradeValues: ["echo-raw", "foo/2"]))  // layered, both offered
        #expect(!offer.accepts(upgradeValues: ["foo/3"]))
        #expect(!offer.accepts(upgradeValues: ["bar"]))
        #expect(!offer.accepts(upgradeValues: ["websocket"]))
        #expect(!offer.accepts(upgradeValues: []))
        #expect(!offer.accepts(upgradeValues: ["echo raw"]))
    }
}
