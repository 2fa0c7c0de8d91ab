import Logging
import PorticoCore

/// Re-reads a configuration file and applies it to a running server: what SIGHUP, the
/// admin API (`ProxyServer.reload(trigger:)`) and `portico run --watch` do.
///
/// Each reload loads and validates the whole file, applies the command-line overrides
/// (`--workers`), hands the result to `ProxyServer.reload(config:)`, logs every
/// diagnostic of a refused file, and records the outcome in `server.reloadLog` (success
/// and failure alike). Reloads run one at a time, in the order asked.
public final class ConfigReloader: Sendable {
    /// Command-line settings that win over the file's, on start and on every reload.
    public struct Overrides: Sendable, Equatable {
        public var workers: Int?

        public init(workers: Int? = nil) {
            self.workers = workers
        }

        public func apply(to config: inout PorticoConfig) {
            if let workers = self.workers { config.workers = workers }
        }
    }

    public let path: String
    public let overrides: Overrides
    private unowned let server: ProxyServer
    private let logger: Logger
    private let serial = SerialRunner()

    /// Creates the reloader of `server`'s configuration file and attaches it (the server
    /// keeps it; it refers back to the server without retaining it).
    @discardableResult
    public static func attach(to server: ProxyServer, path: String, overrides: Overrides = Overrides(), logger: Logger) -> ConfigReloader {
        let reloader = ConfigReloader(server: server, path: path, overrides: overrides, logger: logger)
        server.attach(reloader: reloader)
        return reloader
    }

    private init(server: ProxyServer, path: String, overrides: Overrides, logger: Logger) {
        self.server = server
        self.path = path
        self.overrides = overrides
        self.logger = logger
    }

    /// The files whose change calls for a reload (`--watch`): the configuration file and
    /// the certificate, key and CA files of the configuration in force.
    public var watchedPaths: [String] {
        [self.path] + self.server.config.tlsFilePaths
    }

    /// Loads, validates and applies the file; never throws: the returned event (also
    /// recorded in `reloadLog`) says what happened.
    public func reload(trigger: ReloadEvent.Trigger) async -> ReloadEvent {
        let event = (try? await self.serial.run { await self.perform(trigger: trigger) })
            ?? ReloadEvent(time: ReloadEvent.now(), trigger: trigger, succeeded: false, message: "reload interrupted")
        self.server.reloadLog.record(event)
        return event
    }

    private func perform(trigger: ReloadEvent.Trigger) async -> ReloadEvent {
        let time = ReloadEvent.now()
        var config: PorticoConfig
        do {
            config = try ConfigLoader.load(path: self.path)
        } catch {
            let diagnostics = error.diagnostics.map { "\($0)" }
            for diagnostic in diagnostics {
                self.logger.error("reload refused", metadata: ["diagnostic": "\(diagnostic)", "trigger": "\(trigger.rawValue)"])
            }
            let count = diagnostics.count
            let message = "\(self.path): configuration invalid (\(count) error\(count == 1 ? "" : "s")); the running configuration stays"
            self.logger.error("reload failed; the running configuration stays", metadata: ["errors": "\(count)"])
            return ReloadEvent(time: time, trigger: trigger, succeeded: false, message: message, diagnostics: diagnostics)
        }
        self.overrides.apply(to: &config)
        do {
            try await self.server.reload(config: config)
        } catch {
            let reason = ProxyServer.describe(error)
            self.logger.error("reload failed; the running configuration stays", metadata: ["error": "\(reason)", "trigger": "\(trigger.rawValue)"])
            return ReloadEvent(
                time: time, trigger: trigger, succeeded: false,
                message: "\(self.path): \(reason); the running configuration stays", diagnostics: [reason]
            )
        }
        let message =
            "\(self.path): \(config.listeners.count) listener(s), \(config.upstreams.count) upstream group(s), \(config.routes.count) route(s)"
        return ReloadEvent(time: time, trigger: trigger, succeeded: true, message: message)
    }
}
