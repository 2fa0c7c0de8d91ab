import ArgumentParser
import PorticoCore

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a configuration file and print every problem with its line and path.",
        discussion: "Exits 0 when the file is valid, 2 when it has errors."
    )

    @Option(name: .long, help: ArgumentHelp("Path to the YAML configuration.", valueName: "file"))
    var config: String

    func run() throws {
        do {
            let loaded = try ConfigLoader.load(path: self.config)
            print(
                "\(self.config): ok (\(loaded.listeners.count) listener(s), \(loaded.upstreams.count) upstream group(s), \(loaded.routes.count) route(s))"
            )
        } catch {
            printDiagnostics(error)
            throw ExitCode(2)
        }
    }
}
