import PorticoCache
import PorticoCore
import PorticoProxy

/// The JSON documents of `/api/upstreams`, `/api/reloads` and `/api/cache` (see
/// docs/admin.md for the schemas; the status page reads these field names).
enum AdminDocuments {
    /// `{"groups":[{"name","balance","servers":[…]}]}`, groups in configuration order;
    /// a group whose servers do not resolve yet is listed with no servers.
    static func upstreams(config: PorticoConfig, status: [UpstreamServerStatus]) -> AdminJSON {
        var byGroup: [String: [UpstreamServerStatus]] = [:]
        for entry in status { byGroup[entry.group, default: []].append(entry) }
        var names = config.upstreams.map(\.name)
        for entry in status where !names.contains(entry.group) { names.append(entry.group) }
        let balanceByName = Dictionary(config.upstreams.map { ($0.name, $0.balance.rawValue) }, uniquingKeysWith: { a, _ in a })
        return .object([
            ("groups", .array(names.map { name in
                .object([
                    ("name", .string(name)),
                    ("balance", .optional(balanceByName[name])),
                    ("servers", .array((byGroup[name] ?? []).map(server))),
                ])
            })),
        ])
    }

    static func server(_ status: UpstreamServerStatus) -> AdminJSON {
        .object([
            ("address", .string(status.server)),
            ("healthy", .bool(status.healthy)),
            ("ejected", .bool(status.ejected)),
            ("admin_state", .string(status.adminState.rawValue)),
            ("in_flight", .int(status.inFlight)),
            ("weight", .int(status.weight)),
            ("backup", .bool(status.backup)),
            ("failures", .int(status.failures)),
        ])
    }

    static func reloadEvent(_ event: ReloadEvent) -> AdminJSON {
        .object([
            ("time", .double(event.time)),
            ("trigger", .string(event.trigger.rawValue)),
            ("succeeded", .bool(event.succeeded)),
            ("message", .string(event.message)),
            ("diagnostics", .array(event.diagnostics.map(AdminJSON.string))),
        ])
    }

    /// `GET /api/cache`: `{"entries","bytes","capacity_bytes","evictions","stored_bytes",
    /// "hit_ratio","requests":{"hit":n,…}}`; `hit_ratio` is served-from-cache over
    /// lookups since the cache was opened (null before the first lookup), outcomes in
    /// `CacheOutcome.allCases` order.
    static func cache(_ metrics: CacheMetrics) -> AdminJSON {
        let lookups = metrics.lookups
        return .object([
            ("entries", .int(metrics.entries)),
            ("bytes", .int(metrics.bytes)),
            ("capacity_bytes", .int(metrics.capacityBytes)),
            ("evictions", .int(metrics.evictions)),
            ("stored_bytes", .int(metrics.storedBytes)),
            ("hit_ratio", lookups > 0 ? .double(Double(metrics.servedFromCache) / Double(lookups)) : .null),
            ("requests", .object(CacheOutcome.allCases.map { ($0.rawValue, .int(metrics.count($0))) })),
        ])
    }

    /// `{"succeeded":n,"failed":n,"events":[…]}`, newest event first.
    static func reloads(_ log: ReloadLog) -> AdminJSON {
        .object([
            ("succeeded", .int(log.succeededCount)),
            ("failed", .int(log.failedCount)),
            ("events", .array(log.recent.reversed().map(reloadEvent))),
        ])
    }
}
