import ArgumentParser
import Logging
import PorticoCore
import PorticoServer
import ServiceLifecycle
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the proxy in the foreground until SIGTERM or SIGINT (SIGHUP reloads --config).",
        discussion: """
            Either give a configuration file with --config, or use the quick form:
              portico run --listen 127.0.0.1:8000 --upstream http://127.0.0.1:9000 [--upstream ...]
            which forwards every request to the upstream servers in round robin.

            Zero-downtime upgrade: run the old process with --control-socket PATH; start the
            new one with --takeover PATH (and --control-socket PATH for the next upgrade). It
            receives the listening sockets, starts accepting, and the old process drains and
            exits. See docs/reload-and-upgrade.md.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Path to the YAML configuration.", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Address to listen on (quick form), e.g. 127.0.0.1:8000 or [::1]:8000.", valueName: "addr"))
    var listen: String?

    @Option(name: .long, help: ArgumentHelp("Upstream server (quick form, repeatable), e.g. http://127.0.0.1:9000.", valueName: "url"))
    var upstream: [String] = []

    @Option(name: .long, help: "Event-loop threads (overrides the configuration; default: one per core).")
    var workers: Int?

    @Flag(name: .long, help: "Reload when the --config file changes (checked every second).")
    var watch = false

    @Option(name: .long, help: ArgumentHelp("Unix socket on which a successor can take over the listening sockets.", valueName: "path"))
    var controlSocket: String?

    @Option(name: .long, help: ArgumentHelp("Take over the listening sockets of the Portico serving this control socket.", valueName: "path"))
    var takeover: String?

    func validate() throws {
        if self.watch && self.config == nil {
            throw ValidationError("--watch needs --config")
        }
        if self.config != nil && (self.listen != nil || !self.upstream.isEmpty) {
            throw ValidationError("use either --config or --listen/--upstream, not both")
        }
        if self.config == nil && (self.listen == nil || self.upstream.isEmpty) {
            throw ValidationError("give --config FILE, or --listen ADDR with at least one --upstream URL")
        }
        if let workers, workers < 1 {
            throw ValidationError("--workers must be at least 1")
        }
    }

    func run() async throws {
        var config: PorticoConfig
        do {
            if let path = self.config {
                config = try ConfigLoader.load(path: path)
            } else {
                config = try PorticoConfig.quick(listen: self.listen ?? "", upstreams: self.upstream)
            }
        } catch {
            printDiagnostics(error)
            throw ExitCode(2)
        }
        let overrides = ConfigReloader.Overrides(workers: self.workers)
        overrides.apply(to: &config)
        let logger = makeLogger()
        let server: ProxyServer
        do {
            server = try ProxyServer(config: config, logger: logger)
        } catch {
            printError("portico: \(error)")
            throw ExitCode(1)
        }
        var watcher: Task<Void, Never>?
        if let path = self.config {
            // SIGHUP, the admin API and --watch re-read this file; on any error the running
            // configuration stays in force and every diagnostic is logged.
            let reloader = ConfigReloader.attach(to: server, path: path, overrides: overrides, logger: logger)
            if self.watch {
                watcher = Task { await ConfigFileWatcher(reloader: reloader).run() }
            }
        }
        defer { watcher?.cancel() }
        var handover = ProxyService.Handover(controlSocketPath: self.controlSocket)
        if let path = self.takeover {
            do {
                let predecessor = try await TakeoverClient.requestListeners(path: path)
                server.adopt(predecessor.listeners)
                handover.predecessor = predecessor
                printError("portico: received \(predecessor.listeners.count) listening socket(s) from \(path)")
            } catch {
                printError("portico: cannot take over from \(path): \(error)")
                await server.shutdown(grace: .zero)
                throw ExitCode(1)
            }
        }
        var companions: [any Service] = []
        if let admin = config.admin {
            companions.append(Self.adminService(admin, server: server, takingOver: self.takeover != nil, logger: logger))
        }
        do {
            try await ProxyService.runUntilSignalled(server, logger: logger, handover: handover, companions: companions) { addresses in
                printError("portico \(Portico.version) listening on \(addresses.joined(separator: ", "))")
            }
        } catch let error as ProxyServer.StartupError {
            printError("portico: \(error.description)")
            throw ExitCode(1)
        }
    }
}

extension RunCommand {
    /// The admin listener (`admin:`), with the stats sampler behind the status page.
    /// The admin address is bound once at start; a reload that changes it is logged
    /// and applies on restart (docs/admin.md).
    static func adminService(_ admin: AdminConfig, server: ProxyServer, takingOver: Bool, logger: Logger) -> AdminService {
        let backend = ProxyAdminBackend(server: server)
        let adminServer = AdminServer(config: admin, backend: backend, group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        return AdminService(
            server: adminServer,
            onStart: { address in printError("portico admin listening on http://\(address)/") },
            whileRunning: { await backend.runSampler() },
            // The predecessor keeps its admin listener until it has drained and exited.
            waitForAddress: takingOver ? server.config.timeouts.shutdownGrace + .seconds(10) : .zero,
            logger: logger
        )
    }
}

func makeLogger() -> Logger {
    var logger = Logger(label: "portico") { label in StreamLogHandler.standardError(label: label) }
    logger.logLevel = .notice
    return logger
}

func printError(_ line: String) {
    var stderr = StandardError()
    print(line, to: &stderr)
}

func printDiagnostics(_ error: ConfigError) {
    for diagnostic in error.diagnostics {
        printError("\(diagnostic)")
    }
    let count = error.diagnostics.count
    printError("portico: configuration invalid (\(count) error\(count == 1 ? "" : "s"))")
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var text = string
        text.withUTF8 { bytes in
            _ = Glibc.write(STDERR_FILENO, bytes.baseAddress, bytes.count)
        }
    }
}
