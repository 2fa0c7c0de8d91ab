import NIOCore
import PorticoCore

/// Collects one event loop's access-log lines and hands them to the writer in
/// batches: when 32 KiB have accumulated, or 100 ms after the first line of a batch.
///
/// Lines of every layout (listeners may have their own) share one batch, so the
/// destination receives them in the order the responses completed.
final class AccessLogBatcher {
    private let writer: AccessLogWriter
    private let eventLoop: any EventLoop
    private var formatter = AccessLogFormatter()
    private var buffer: ByteBuffer
    private var lines = 0
    private var flushScheduled = false
    private static let batchBytes = 32 * 1024

    /// The layout of requests on listeners without their own.
    var globalLayout: AccessLogLayout { self.writer.layout }

    init(writer: AccessLogWriter, eventLoop: any EventLoop) {
        self.writer = writer
        self.eventLoop = eventLoop
        self.buffer = ByteBufferAllocator().buffer(capacity: 0)
    }

    /// - Parameter layout: the listener's layout, or nil for the global one.
    func log(_ record: AccessLogRecord, layout: AccessLogLayout? = nil) {
        self.formatter.append(record, layout: layout ?? self.writer.layout, to: &self.buffer)
        self.lines += 1
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
        self.writer.write(self.buffer, lines: self.lines)
        self.lines = 0
        self.buffer = ByteBufferAllocator().buffer(capacity: Self.batchBytes)
    }
}
