import Dispatch
import Synchronization
import NIOCore
import PorticoCore

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
    public let format: AccessLogConfig.Format

    /// Opens the destination; returns nil for `.off`.
    public static func open(_ config: AccessLogConfig) throws -> AccessLogWriter? {
        switch config.destination {
        case .off:
            return nil
        case .stdout:
            return AccessLogWriter(fd: STDOUT_FILENO, path: nil, ownsDescriptor: false, format: config.format)
        case .stderr:
            return AccessLogWriter(fd: STDERR_FILENO, path: nil, ownsDescriptor: false, format: config.format)
        case .file(let path):
            let fd = Self.openFile(path)
            guard fd >= 0 else { throw OpenError(path: path, errno: errno) }
            return AccessLogWriter(fd: fd, path: path, ownsDescriptor: true, format: config.format)
        }
    }

    private static func openFile(_ path: String) -> Int32 {
        Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    }

    private init(fd: Int32, path: String?, ownsDescriptor: Bool, format: AccessLogConfig.Format) {
        self.fd = Mutex(fd)
        self.path = path
        self.ownsDescriptor = ownsDescriptor
        self.format = format
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

    /// Queues a batch of complete lines for writing.
    func write(_ batch: ByteBuffer) {
        self.queue.async {
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

/// Collects one event loop's access-log lines and hands them to the writer in
/// batches: when 32 KiB have accumulated, or 100 ms after the first line of a batch.
final class AccessLogBatcher {
    private let writer: AccessLogWriter
    private let eventLoop: any EventLoop
    private var formatter: AccessLogFormatter
    private var buffer: ByteBuffer
    private var flushScheduled = false
    private static let batchBytes = 32 * 1024

    init(writer: AccessLogWriter, eventLoop: any EventLoop) {
        self.writer = writer
        self.eventLoop = eventLoop
        self.formatter = AccessLogFormatter(format: writer.format)
        self.buffer = ByteBufferAllocator().buffer(capacity: 0)
    }

    func log(_ record: AccessLogRecord) {
        self.formatter.append(record, to: &self.buffer)
        if self.buffer.readableBytes >= Self.batchBytes {
            self.flush()
        } else if !self.flushScheduled {
            self.flushScheduled = true
            self.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .milliseconds(100)) { [self] in
                self.flushScheduled = false
                self.flush()
            }
        }
    }

    func flush() {
        guard self.buffer.readableBytes > 0 else { return }
        self.writer.write(self.buffer)
        self.buffer = ByteBufferAllocator().buffer(capacity: Self.batchBytes)
    }
}
