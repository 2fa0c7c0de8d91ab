import PorticoCore
import Testing

struct HTTPErrorPageTests {
    @Test func bodyText() {
        #expect(ErrorPage.body(status: 502, requestID: "00000000deadbeef") == "502 Bad Gateway\nrequest-id: 00000000deadbeef\n")
        #expect(ErrorPage.body(status: 599, requestID: "x") == "599 Error\nrequest-id: x\n")
    }

    @Test(arguments: [
        (400, "Bad Request"), (403, "Forbidden"), (404, "Not Found"), (405, "Method Not Allowed"),
        (408, "Request Timeout"), (413, "Content Too Large"), (414, "URI Too Long"), (429, "Too Many Requests"),
        (431, "Request Header Fields Too Large"), (500, "Internal Server Error"), (501, "Not Implemented"),
        (502, "Bad Gateway"), (503, "Service Unavailable"), (504, "Gateway Timeout"),
        (505, "HTTP Version Not Supported"),
    ])
    func reasonPhrases(status: Int, phrase: String) {
        #expect(ErrorPage.reasonPhrase(for: status) == phrase)
        #expect(ErrorPage.body(status: status, requestID: "id").hasPrefix("\(status) \(phrase)\n"))
    }
}
