#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// A file-system call that failed, with `errno`.
public struct CacheFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errorNumber: CInt

    /// A directory on the path does not exist.
    public var isMissingDirectory: Bool { self.errorNumber == ENOENT }

    public var description: String {
        "\(self.operation) \(self.path): \(String(cString: strerror(self.errorNumber)))"
    }
}

/// The few POSIX calls the disk store needs, blocking, on the caller's thread.
///
/// Why POSIX rather than Foundation's FileManager: `rename(2)` (the atomic publish of
/// a finished file), `O_EXCL` temp files, `pread` of a file's head and `futimens` are
/// exactly what is wanted, without Foundation in the data path's module.
enum CacheFileSystem {
    struct FileInfo {
        var size: Int
        /// Last modification, seconds since 1970 (the disk store's recency).
        var modified: Double
        var isDirectory: Bool
    }

    /// `mkdir -p`.
    static func createDirectory(_ path: String) throws(CacheFileError) {
        if let info = self.info(path), info.isDirectory { return }
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw CacheFileError(operation: "mkdir", path: prefix, errorNumber: errno)
            }
        }
        guard self.info(path)?.isDirectory == true else {
            throw CacheFileError(operation: "mkdir", path: path, errorNumber: ENOTDIR)
        }
    }

    /// Whether this process may create files in `path`.
    static func checkWritable(_ path: String) throws(CacheFileError) {
        if access(path, W_OK | X_OK) != 0 {
            throw CacheFileError(operation: "access", path: path, errorNumber: errno)
        }
    }

    static func info(_ path: String) -> FileInfo? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return self.fileInfo(status)
    }

    /// Names in `path` (without "." and ".."); empty when it cannot be read.
    static func list(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: pointer.pointee)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Writes `head` then `body` to a new file `path` (which must not exist).
    static func writeNewFile(_ path: String, head: ByteBuffer, body: ByteBuffer) throws(CacheFileError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CacheFileError(operation: "open", path: path, errorNumber: errno) }
        defer { close(descriptor) }
        for buffer in [head, body] {
            let error = buffer.withUnsafeReadableBytes { self.writeAll(descriptor, $0) }
            if error != 0 {
                unlink(path)
                throw CacheFileError(operation: "write", path: path, errorNumber: error)
            }
        }
    }

    /// `rename(2)`: atomically replaces `destination` (same file system).
    static func rename(_ source: String, to destination: String) throws(CacheFileError) {
        #if canImport(Glibc)
        let result = Glibc.rename(source, destination)
        #elseif canImport(Musl)
        let result = Musl.rename(source, destination)
        #else
        let result = Darwin.rename(source, destination)
        #endif
        if result != 0 { throw CacheFileError(operation: "rename", path: source, errorNumber: errno) }
    }

    static func remove(_ path: String) {
        unlink(path)
    }

    /// Wall-clock seconds since 1970 (file times are wall-clock too).
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func processID() -> Int32 {
        Int32(getpid())
    }

    /// The whole file, or nil when it is missing or unreadable. With
    /// `markUsed`, its modification time becomes now: that is how recency survives a
    /// restart.
    static func read(_ path: String, markUsed: Bool) -> ByteBuffer? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        let size = Int(status.st_size)
        // A file shorter than `fstat` said was truncated meanwhile: treat it as
        // unreadable rather than hand the codec a partial file.
        guard let buffer = self.read(descriptor, at: 0, length: size), buffer.readableBytes == size else { return nil }
        if markUsed { futimens(descriptor, nil) }
        return buffer
    }

    /// The file's first `CacheEntryCodec.preambleLength` bytes, followed by as many
    /// more as `moreAfterPreamble` asks for (the head's length), with the file's size
    /// and mtime; nil when unreadable. Never reads a body.
    static func readPrefix(
        _ path: String,
        moreAfterPreamble: (ByteBuffer) -> Int?
    ) -> (prefix: ByteBuffer, info: FileInfo)? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        let info = self.fileInfo(status)
        guard var prefix = self.read(descriptor, at: 0, length: min(info.size, CacheEntryCodec.preambleLength)) else {
            return nil
        }
        if let more = moreAfterPreamble(prefix), more > 0,
            var rest = self.read(descriptor, at: prefix.readableBytes, length: min(more, info.size - prefix.readableBytes))
        {
            prefix.writeBuffer(&rest)
        }
        return (prefix, info)
    }

    // MARK: - Private

    private static func read(_ descriptor: CInt, at offset: Int, length: Int) -> ByteBuffer? {
        guard length >= 0 else { return nil }
        var buffer = ByteBufferAllocator().buffer(capacity: length)
        var failed = false
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { target in
            var done = 0
            while done < length {
                let count = pread(descriptor, target.baseAddress! + done, length - done, off_t(offset + done))
                if count < 0, errno == EINTR { continue }
                if count <= 0 {
                    failed = count < 0
                    break
                }
                done += count
            }
            return done
        }
        return failed ? nil : buffer
    }

    /// 0, or the errno of the failed write.
    private static func writeAll(_ descriptor: CInt, _ bytes: UnsafeRawBufferPointer) -> CInt {
        var done = 0
        while done < bytes.count {
            let count = write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if count < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += count
        }
        return 0
    }

    private static func fileInfo(_ status: stat) -> FileInfo {
        #if canImport(Darwin)
        let modified = Double(status.st_mtimespec.tv_sec) + Double(status.st_mtimespec.tv_nsec) / 1e9
        #else
        let modified = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
        #endif
        return FileInfo(size: Int(status.st_size), modified: modified, isDirectory: status.st_mode & S_IFMT == S_IFDIR)
    }
}
