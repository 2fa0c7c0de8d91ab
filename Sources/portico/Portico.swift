import ArgumentParser
import PorticoServer

/// The `portico` command line: `run`, `validate`, `demo`.
@main
struct Portico: AsyncParsableCommand {
    static let version = PorticoBuildInfo.version

    static let configuration = CommandConfiguration(
        commandName: "portico",
        abstract: "A fast, strict HTTP reverse proxy and load balancer.",
        discussion: """
            Quick start:
              portico run --listen 127.0.0.1:8000 --upstream http://127.0.0.1:9000
              portico run --config portico.yaml
              portico validate --config portico.yaml
              portico demo

            Configuration reference: docs/configuration.md
            """,
        version: "portico \(version)",
        subcommands: [RunCommand.self, ValidateCommand.self, DemoCommand.self]
    )
}
