import ArgumentParser
import PorticoCore
import PorticoServer
import ServiceLifecycle

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start two demo origins, a proxy in front of them on 127.0.0.1:8080 and its status page on :8081 (Ctrl-C to stop)."
    )

    @Option(name: .long, help: "Port for the demo proxy.")
    var port: Int = 8080

    @Option(name: .long, help: "Port for the admin listener (status page, metrics, API); default: the proxy port + 1, 0 = none.")
    var adminPort: Int?

    func run() async throws {
        let logger = makeLogger()
        let listen = HostPort(host: "127.0.0.1", port: self.port)
        let demo = try await DemoEnvironment.start(listen: listen, logger: logger)
        let base = "http://127.0.0.1:\(self.port)"
        let origins = demo.origins.map { "127.0.0.1:\($0.port)" }.joined(separator: " and ")
        let adminPort = self.adminPort ?? self.port + 1
        var companions: [any Service] = []
        if adminPort != 0 {
            let admin = AdminConfig(address: HostPort(host: "127.0.0.1", port: adminPort))
            companions.append(RunCommand.adminService(admin, server: demo.server, takingOver: false, logger: logger))
        }
        let statusLine = adminPort == 0 ? "" : "\n  status:  http://127.0.0.1:\(adminPort)/   (live status page; /metrics, /api/upstreams)"
        do {
            try await ProxyService.runUntilSignalled(demo.server, logger: logger, companions: companions) { _ in
                print(
                    """
                    Portico demo
                      origins: \(origins) (round robin, group "demo-origins")
                      proxy:   \(base)\(statusLine)

                    Try:
                      curl -i \(base)/              # forwarded; run twice to see both origins
                      curl -i \(base)/hello         # fixed response from Portico itself
                      curl -i \(base)/old           # 301 redirect
                      curl -i \(base)/api/echo -d 'hi'   # /api stripped, X-Demo header added
                      curl -i \(base)/slow?ms=500   # a slow origin response
                      curl -i \(base)/cached/page  # run twice: the second is a cache hit (Age, Cache-Status)
                      curl -s -H 'Accept-Encoding: br' \(base)/cached/page -o /dev/null -w '%{size_download} bytes (brotli)\\n'
                      curl -s \(base)/bytes?n=10000000 -o /dev/null -w '%{size_download} bytes\\n'

                    Access log below. Ctrl-C stops.
                    """
                )
            }
        } catch let error as ProxyServer.StartupError {
            printError("portico: \(error.description)")
            await demo.stopOrigins()
            throw ExitCode(1)
        }
        await demo.stopOrigins()
    }
}
