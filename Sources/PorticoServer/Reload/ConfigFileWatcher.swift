#if canImport(Glibc)
import Glibc
#endif

/// `portico run --watch`: polls the configuration file, and the certificate, key and CA
/// files it names, and reloads when the content of any of them changes (a renewed
/// certificate is picked up without a signal). Polling the content (not the modification time) catches editors that
/// replace the file by renaming, atomic `ln -sf` swaps of a symlink (Kubernetes
/// ConfigMaps), and changes within the same second; a file read once a second costs
/// nothing. A file caught half-written fails validation and is retried on the next
/// change (the complete write changes the content again).
public struct ConfigFileWatcher: Sendable {
    public let reloader: ConfigReloader
    public let interval: Duration

    public init(reloader: ConfigReloader, interval: Duration = .seconds(1)) {
        self.reloader = reloader
        self.interval = interval
    }

    /// Polls until the task is cancelled.
    public func run() async {
        var last = Self.contentHash(paths: self.reloader.watchedPaths)
        while !Task.isCancelled {
            try? await Task.sleep(for: self.interval)
            guard !Task.isCancelled else { return }
            let hash = Self.contentHash(paths: self.reloader.watchedPaths)
            guard hash != last else { continue }
            last = hash
            let watched = self.reloader.watchedPaths
            _ = await self.reloader.reload(trigger: .file)
            let now = self.reloader.watchedPaths
            if now != watched {
                // The reloaded configuration names other files: watch those from here on.
                last = Self.contentHash(paths: now)
            }
        }
    }

    /// One value per file (nil for an unreadable one), in order; a change of any file,
    /// or of the list itself, changes the result.
    static func contentHash(paths: [String]) -> [UInt64?] {
        paths.map { Self.contentHash(path: $0) }
    }

    /// FNV-1a over the file's bytes; nil when it cannot be read (a missing file counts as
    /// a content of its own, so its reappearance triggers a reload).
    static func contentHash(path: String) -> UInt64? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return hash }
            for byte in buffer[0..<count] {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
        }
    }
}
