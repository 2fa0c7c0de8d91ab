#if canImport(Glibc)
import Glibc
#endif

/// The standard `process_*` figures, read from Linux's `/proc` the way the Prometheus
/// Go client does (so dashboards made for other exporters work unchanged). Zero where
/// `/proc` is not available.
public struct ProcessStats: Sendable, Equatable {
    /// Seconds since 1970 when the process started.
    public var startTimeSeconds: Double = 0
    /// Resident set size in bytes.
    public var residentMemoryBytes: Int = 0
    /// Open file descriptors (sockets included).
    public var openFileDescriptors: Int = 0

    public init(startTimeSeconds: Double = 0, residentMemoryBytes: Int = 0, openFileDescriptors: Int = 0) {
        self.startTimeSeconds = startTimeSeconds
        self.residentMemoryBytes = residentMemoryBytes
        self.openFileDescriptors = openFileDescriptors
    }

    /// Reads the current figures (a few small `/proc` reads; scrape time only).
    public static func current() -> ProcessStats {
        ProcessStats(
            startTimeSeconds: Self.startTime,
            residentMemoryBytes: Self.residentMemory(),
            openFileDescriptors: Self.openFileDescriptorCount()
        )
    }

    /// `/proc/self/stat` field 22 (start time in clock ticks after boot) plus `btime`
    /// of `/proc/stat`; computed once, it does not change.
    static let startTime: Double = {
        guard let stat = readSmallFile("/proc/self/stat"),
            let closing = stat.lastIndex(of: ")")
        else { return 0 }
        // Fields after the command name (which may contain spaces), from field 3 on.
        let fields = stat[stat.index(after: closing)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]) else { return 0 }
        guard let procStat = readSmallFile("/proc/stat"),
            let line = procStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let bootTime = Double(line.dropFirst("btime ".count).trimmingSpaces())
        else { return 0 }
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        return bootTime + ticks / (ticksPerSecond > 0 ? ticksPerSecond : 100)
    }()

    /// Second field of `/proc/self/statm` (resident pages) times the page size.
    static func residentMemory() -> Int {
        guard let statm = readSmallFile("/proc/self/statm") else { return 0 }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1].trimmingSpaces()) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Entries of `/proc/self/fd`, minus the one the listing itself opens.
    static func openFileDescriptorCount() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDot { count += 1 }
        }
        return max(count - 1, 0)
    }

    /// Reads a `/proc` file (their reported size is 0, so read until end of file).
    static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > 1 << 20 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var result = self
        while let last = result.last, last == " " || last == "\n" { result = result.dropLast() }
        while let first = result.first, first == " " { result = result.dropFirst() }
        return result
    }
}
