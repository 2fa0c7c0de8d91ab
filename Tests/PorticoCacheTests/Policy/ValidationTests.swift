import PorticoCache
import Testing

@Suite("Validation and freshening (RFC 9111 §4.3)")
struct ValidationTests {
    @Test("§4.3.1 validators: If-None-Match from ETag, If-Modified-Since from Last-Modified")
    func validators() {
        let response = storedResponse([("ETag", "W/\"v1\""), ("Last-Modified", httpDate(-100))])
        #expect(
            CachePolicy.validationFields(for: response)
                == HeaderList([("If-None-Match", "W/\"v1\""), ("If-Modified-Since", httpDate(-100))]))
        #expect(CachePolicy.validationFields(for: storedResponse([])) == HeaderList())
    }

    @Test("§4.3.4 freshen: 304 fields replace stored ones; new clock readings")
    func freshenReplaces() {
        let stored = storedResponse([
            ("Content-Type", "text/plain"), ("Cache-Control", "max-age=60"), ("ETag", "\"a\""), ("X-Old", "1"),
        ])
        let freshened = CachePolicy.freshen(
            stored,
            with: HeaderList([("Cache-Control", "max-age=120"), ("Date", httpDate(500)), ("X-New", "2")]),
            requestTime: baseTime + 499,
            responseTime: baseTime + 500
        )
        #expect(freshened.headers.first("cache-control") == "max-age=120")
        #expect(freshened.headers.all("date") == [httpDate(500)])
        #expect(freshened.headers.first("x-old") == "1")
        #expect(freshened.headers.first("x-new") == "2")
        #expect(freshened.headers.first("content-type") == "text/plain")
        #expect(freshened.requestTime == baseTime + 499)
        #expect(freshened.responseTime == baseTime + 500)
        #expect(freshened.status == 200)
    }

    @Test("§3.2 freshen keeps the stored Content-Length (and Content-Encoding) and drops hop-by-hop fields")
    func freshenExceptions() {
        let stored = storedResponse([("Content-Length", "1000"), ("Content-Encoding", "gzip")])
        let freshened = CachePolicy.freshen(
            stored,
            with: HeaderList([
                ("Content-Length", "0"), ("Content-Encoding", "br"), ("Connection", "close"), ("Keep-Alive", "timeout=5"),
            ]),
            requestTime: baseTime,
            responseTime: baseTime
        )
        #expect(freshened.headers.all("content-length") == ["1000"])
        #expect(freshened.headers.all("content-encoding") == ["gzip"])
        #expect(!freshened.headers.contains("connection"))
        #expect(!freshened.headers.contains("keep-alive"))
    }

    @Test("§4.3.4 freshened response is fresh again by the new fields")
    func freshenedIsFresh() {
        let stored = storedResponse([("Cache-Control", "max-age=10")])
        let freshened = CachePolicy.freshen(
            stored,
            with: HeaderList([("Date", httpDate(100))]),
            requestTime: baseTime + 100,
            responseTime: baseTime + 100
        )
        #expect(
            CachePolicy.evaluate(request: HeaderList(), response: freshened, now: baseTime + 105, options: defaultOptions)
                == .fresh(age: 5, ttl: 5))
    }
}
