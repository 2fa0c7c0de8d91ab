import Dispatch
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

    private let fd: Int32
    private let ownsDescriptor: Bool
    private let queue = DispatchQueue(label: "portico.access-log")
    public let format: AccessLogConfig.Format

    /// Opens the destination; returns nil for `.off`.
    public static func open(_ config: AccessLogConfig) throws -> AccessLogWriter? {
        switch config.destination {
        case .off:
            return nil
        case .stdout:
            return AccessLogWriter(fd: STDOUT_FILENO, ownsDescriptor: false, format: config.format)
        case .stderr:
            return AccessLogWriter(fd: STDERR_FILENO, ownsDescriptor: false, format: config.format)
        case .file(let path):
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw OpenError(path: path, errno: errno) }
            return AccessLogWriter(fd: fd, ownsDescriptor: true, format: config.format)
        }
    }

    private init(fd: Int32, ownsDescriptor: Bool, format: AccessLogConfig.Format) {
        self.fd = fd
        self.ownsDescriptor = ownsDescriptor
        self.format = format
    }

    /// Queues a batch of complete lines for writing.
    func write(_ batch: ByteBuffer) {
        let fd = self.fd
        self.queue.async {
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
                _ = Glibc.close(self.fd)
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
