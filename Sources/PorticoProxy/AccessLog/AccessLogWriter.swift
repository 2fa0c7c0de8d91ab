import Dispatch
import Logging
import NIOCore
import PorticoCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes access-log batches to stdout, stderr or a file on a background queue, so
/// a slow disk or a blocked pipe never stalls an event loop.
///
/// Event loops hand over whole batches (see `AccessLogBatcher`), so the queue is
/// touched a few times per second per worker, not once per request.
///
/// The queue is bounded by `access_log.buffer_limit` bytes: when the destination
/// stalls (a full disk, a pipe nobody reads, a hung NFS mount), batches beyond the bound
/// are dropped and counted (`droppedLines`) instead of piling up in memory, and a
/// warning is logged at most every `warningInterval`. Dropping a log line is the lesser
/// evil: blocking would stall every request of the event loop.
public final class AccessLogWriter: Sendable {
    public struct OpenError: Error, CustomStringConvertible {
        public var path: String
        public var errno: Int32
        public var description: String {
            "cannot open access log \(self.path): \(String(cString: strerror(self.errno)))"
        }
    }

    /// The descriptor written to; replaced by `reopen()`. Read and changed only on
    /// `queue` (the mutex makes that visible to the compiler, it is never contended).
    private let fd: Mutex<Int32>
    /// The file to reopen on `reopen()` (nil for stdout/stderr).
    private let path: String?
    private let ownsDescriptor: Bool
    private let queue = DispatchQueue(label: "portico.access-log")
    /// The global layout (listeners may override it, see `ListenerAccessLogConfig`).
    public let layout: AccessLogLayout
    public var format: AccessLogConfig.Format { self.layout.format }
    /// Most bytes queued and not yet written (`access_log.buffer_limit`).
    public let bufferLimit: Int
    private let queuedBytes = Atomic<Int>(0)
    private let droppedLineCount = Atomic<Int>(0)
    private let droppedBatchCount = Atomic<Int>(0)
    /// Uptime (ns) of the last "dropping" warning.
    private let lastWarning = Atomic<Int64>(Int64.min)
    private let logger: Logger
    static let warningInterval = TimeAmount.seconds(10)

    /// Lines dropped because `buffer_limit` bytes were already waiting (for metrics:
    /// a counter that only grows).
    public var droppedLines: Int { self.droppedLineCount.load(ordering: .relaxed) }
    /// Batches dropped for the same reason.
    public var droppedBatches: Int { self.droppedBatchCount.load(ordering: .relaxed) }
    /// Bytes queued and not yet written.
    public var pendingBytes: Int { self.queuedBytes.load(ordering: .relaxed) }

    /// Opens the destination; returns nil for `.off`.
    public static func open(
        _ config: AccessLogConfig,
        logger: Logger = Logger(label: "portico.access-log")
    ) throws -> AccessLogWriter? {
        let layout = config.layout
        let limit = config.bufferLimit
        switch config.destination {
        case .off:
            return nil
        case .stdout:
            return AccessLogWriter(fd: STDOUT_FILENO, path: nil, ownsDescriptor: false, layout: layout, bufferLimit: limit, logger: logger)
        case .stderr:
            return AccessLogWriter(fd: STDERR_FILENO, path: nil, ownsDescriptor: false, layout: layout, bufferLimit: limit, logger: logger)
        case .file(let path):
            let fd = Self.openFile(path)
            guard fd >= 0 else { throw OpenError(path: path, errno: errno) }
            return AccessLogWriter(fd: fd, path: path, ownsDescriptor: true, layout: layout, bufferLimit: limit, logger: logger)
        }
    }

    /// A writer to a descriptor the caller owns (tests: the write end of a pipe).
    convenience init(
        descriptor: Int32,
        layout: AccessLogLayout = AccessLogLayout(format: .text),
        bufferLimit: Int = AccessLogConfig.defaultBufferLimit,
        logger: Logger = Logger(label: "portico.access-log")
    ) {
        self.init(fd: descriptor, path: nil, ownsDescriptor: false, layout: layout, bufferLimit: bufferLimit, logger: logger)
    }

    private static func openFile(_ path: String) -> Int32 {
        Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    }

    private init(
        fd: Int32,
        path: String?,
        ownsDescriptor: Bool,
        layout: AccessLogLayout,
        bufferLimit: Int,
        logger: Logger
    ) {
        self.fd = Mutex(fd)
        self.path = path
        self.ownsDescriptor = ownsDescriptor
        self.layout = layout
        self.bufferLimit = bufferLimit
        self.logger = logger
    }

    /// Log rotation (SIGUSR1, as nginx): lines queued so far go to the old file, later
    /// ones to a newly opened file at the same path. If the path cannot be opened, the
    /// old descriptor is kept (lines are not lost to a failed rotation).
    public func reopen() {
        guard let path = self.path else { return }
        self.queue.async {
            let opened = Self.openFile(path)
            guard opened >= 0 else { return }
            let old = self.fd.withLock { fd in
                defer { fd = opened }
                return fd
            }
            _ = Glibc.close(old)
        }
    }

    /// Queues a batch of `lines` complete lines for writing, or drops it when
    /// `bufferLimit` bytes are already waiting. A batch is always accepted when nothing
    /// waits, so a limit below one batch still lets lines through.
    func write(_ batch: ByteBuffer, lines: Int) {
        let size = batch.readableBytes
        let waiting = self.queuedBytes.wrappingAdd(size, ordering: .relaxed).oldValue
        if waiting > 0 && waiting + size > self.bufferLimit {
            self.queuedBytes.wrappingSubtract(size, ordering: .relaxed)
            self.droppedLineCount.wrappingAdd(lines, ordering: .relaxed)
            self.droppedBatchCount.wrappingAdd(1, ordering: .relaxed)
            self.warnAboutDrops()
            return
        }
        self.queue.async {
            defer { self.queuedBytes.wrappingSubtract(size, ordering: .relaxed) }
            let fd = self.fd.withLock { $0 }
            batch.withUnsafeReadableBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return  // Nowhere to report a failing log; drop the batch.
                    }
                    offset += written
                }
            }
        }
    }

    /// At most one warning per `warningInterval`, logged off the event loop and off the
    /// (stalled) writer queue.
    private func warnAboutDrops() {
        let now = Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds)
        let last = self.lastWarning.load(ordering: .relaxed)
        guard last == Int64.min || now - last >= Self.warningInterval.nanoseconds else { return }
        guard self.lastWarning.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged else { return }
        let dropped = self.droppedLines
        let limit = self.bufferLimit
        let logger = self.logger
        DispatchQueue.global().async {
            logger.warning(
                "access log output is not keeping up: dropping lines",
                metadata: ["dropped_lines_total": "\(dropped)", "buffer_limit_bytes": "\(limit)"]
            )
        }
    }

    /// Waits until everything queued so far is written; closes a file it opened.
    public func close() {
        self.queue.sync {
            if self.ownsDescriptor {
                _ = Glibc.close(self.fd.withLock { $0 })
            }
        }
    }

    /// Waits until everything queued so far is written.
    public func drain() {
        self.queue.sync {}
    }
}
