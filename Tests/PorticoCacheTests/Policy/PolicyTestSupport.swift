import PorticoCache
import PorticoCore

/// A fixed clock reading for every policy test: 2023-11-14T22:13:20Z.
let baseTime: Double = 1_700_000_000

/// `HTTPDate.format` at an offset from `baseTime`.
func httpDate(_ offset: Double) -> String {
    HTTPDate.format(baseTime + offset)
}

/// A stored response received at `baseTime` (sent at `baseTime - delay`), with a
/// `Date` of `baseTime` unless `headers` says otherwise or `date` is false.
func storedResponse(
    status: Int = 200,
    _ headers: [(String, String)] = [],
    date: Bool = true,
    delay: Double = 0
) -> StoredResponse {
    var list = HeaderList(headers)
    if date, !list.contains("date") { list.add("Date", httpDate(0)) }
    return StoredResponse(
        status: status,
        reason: "",
        headers: list,
        requestTime: baseTime - delay,
        responseTime: baseTime
    )
}

let defaultOptions = RouteCacheConfig()
