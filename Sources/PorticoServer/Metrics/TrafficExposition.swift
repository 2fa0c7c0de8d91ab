import PorticoProxy

/// Renders the data-path families from merged per-worker `TrafficMetrics`.
///
/// Rendered by hand rather than through swift-prometheus: the workers count into
/// lock-free per-worker slots and fixed-bucket histograms (`LatencyHistogram`) that are
/// only summed at scrape time, and a swift-prometheus histogram can only be fed one
/// observation at a time. Labels are configuration names (route, upstream group,
/// listener) and status classes only — never a request path or a client address.
enum TrafficExposition {
    static func render(_ traffic: TrafficMetrics, into out: inout String) {
        let routes = traffic.routes.sorted { $0.key < $1.key }
        let upstreams = traffic.upstreams.sorted { $0.key < $1.key }
        let listeners = traffic.listeners.sorted { $0.key < $1.key }

        PrometheusText.header(
            "portico_requests_total", .counter,
            help: "Finished requests by route, upstream group (none when answered without forwarding) and status class.",
            into: &out
        )
        for (route, counts) in routes {
            for (upstream, classes) in counts.requests.sorted(by: { $0.key < $1.key }) {
                for statusClass in 1...5 {
                    PrometheusText.sample(
                        "portico_requests_total",
                        [("route", route), ("upstream", upstream), ("code_class", "\(statusClass)xx")],
                        classes[statusClass], into: &out
                    )
                }
            }
        }

        PrometheusText.header(
            "portico_request_duration_seconds", .histogram,
            help: "Time from the request head's arrival to the last response byte written, by route.",
            into: &out
        )
        for (route, counts) in routes {
            PrometheusText.histogram("portico_request_duration_seconds", [("route", route)], counts.duration, into: &out)
        }

        PrometheusText.header(
            "portico_upstream_duration_seconds", .histogram,
            help: "Time from the first upstream attempt to the end of the upstream response, by upstream group.",
            into: &out
        )
        for (upstream, counts) in upstreams {
            PrometheusText.histogram("portico_upstream_duration_seconds", [("upstream", upstream)], counts.duration, into: &out)
        }

        PrometheusText.header(
            "portico_request_bytes_total", .counter,
            help: "Request bytes received from clients (head plus body forwarded upstream), by route.",
            into: &out
        )
        for (route, counts) in routes {
            PrometheusText.sample("portico_request_bytes_total", [("route", route)], counts.requestBytes, into: &out)
        }
        PrometheusText.header(
            "portico_response_bytes_total", .counter,
            help: "Response body bytes sent to clients, by route.",
            into: &out
        )
        for (route, counts) in routes {
            PrometheusText.sample("portico_response_bytes_total", [("route", route)], counts.responseBytes, into: &out)
        }
        PrometheusText.header(
            "portico_rate_limited_requests_total", .counter,
            help: "Requests refused by the route's rate_limit.",
            into: &out
        )
        for (route, counts) in routes where route != TrafficMetrics.unmatchedRoute {
            PrometheusText.sample("portico_rate_limited_requests_total", [("route", route)], counts.rateLimited, into: &out)
        }
        PrometheusText.header(
            "portico_upstream_retries_total", .counter,
            help: "Upstream attempts beyond the first (retries on another server), by upstream group.",
            into: &out
        )
        for (upstream, counts) in upstreams {
            PrometheusText.sample("portico_upstream_retries_total", [("upstream", upstream)], counts.retries, into: &out)
        }

        PrometheusText.header(
            "portico_connections_total", .counter, help: "Client connections admitted, by listener.", into: &out
        )
        for (listener, counts) in listeners {
            PrometheusText.sample("portico_connections_total", [("listener", listener)], counts.accepted, into: &out)
        }
        PrometheusText.header(
            "portico_open_connections", .gauge, help: "Client connections open now, by listener.", into: &out
        )
        for (listener, counts) in listeners {
            PrometheusText.sample("portico_open_connections", [("listener", listener)], counts.open, into: &out)
        }
        PrometheusText.header(
            "portico_in_flight_requests", .gauge,
            help: "Requests received whose response has not finished yet, by listener.", into: &out
        )
        for (listener, counts) in listeners {
            PrometheusText.sample("portico_in_flight_requests", [("listener", listener)], counts.inFlight, into: &out)
        }
    }
}
