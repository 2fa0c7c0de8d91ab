#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// The framing of the takeover conversation on the control socket (a Unix stream
/// socket): each message is a 4-byte big-endian length and UTF-8 text, optionally
/// carrying file descriptors as `SCM_RIGHTS` ancillary data (unix(7)). The kernel
/// installs duplicates of the sender's descriptors in the receiver: both processes then
/// hold the *same* listening socket, accept queue included.
///
/// Blocking calls on blocking sockets, run off the event loops (on a thread pool).
enum TakeoverWire {
    struct ProtocolError: Error, CustomStringConvertible {
        var description: String
    }

    /// Most descriptors one message may carry (the kernel's `SCM_MAX_FD`).
    static let maxDescriptors = 253
    /// Longest message accepted.
    static let maxLength = 1 << 20

    private static let headerSize = MemoryLayout<cmsghdr>.size

    private static func align(_ length: Int) -> Int {
        let word = MemoryLayout<Int>.size
        return (length + word - 1) & ~(word - 1)
    }

    static func send(_ socket: CInt, _ text: String, descriptors: [CInt] = []) throws {
        precondition(descriptors.count <= Self.maxDescriptors)
        var frame: [UInt8] = []
        let payload = Array(text.utf8)
        let length = UInt32(payload.count)
        frame.append(contentsOf: [UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)])
        frame.append(contentsOf: payload)

        let dataLength = descriptors.count * MemoryLayout<CInt>.size
        let controlLength = descriptors.isEmpty ? 0 : Self.headerSize + Self.align(dataLength)
        let control = UnsafeMutableRawPointer.allocate(byteCount: max(controlLength, 1), alignment: MemoryLayout<Int>.alignment)
        defer { control.deallocate() }
        control.initializeMemory(as: UInt8.self, repeating: 0, count: max(controlLength, 1))
        if !descriptors.isEmpty {
            let header = control.bindMemory(to: cmsghdr.self, capacity: 1)
            header.pointee.cmsg_len = Self.headerSize + dataLength
            header.pointee.cmsg_level = SOL_SOCKET
            header.pointee.cmsg_type = CInt(SCM_RIGHTS)
            let data = (control + Self.headerSize).bindMemory(to: CInt.self, capacity: descriptors.count)
            for (index, descriptor) in descriptors.enumerated() {
                data[index] = descriptor
            }
        }
        var sent = try frame.withUnsafeMutableBytes { bytes -> Int in
            var vector = iovec(iov_base: bytes.baseAddress, iov_len: bytes.count)
            return try withUnsafeMutablePointer(to: &vector) { vectorPointer in
                var message = msghdr()
                message.msg_iov = vectorPointer
                message.msg_iovlen = 1
                message.msg_control = controlLength == 0 ? nil : control
                message.msg_controllen = controlLength
                while true {
                    let result = sendmsg(socket, &message, CInt(MSG_NOSIGNAL))
                    if result >= 0 { return result }
                    if errno == EINTR { continue }
                    throw IOError(errnoCode: errno, reason: "sendmsg")
                }
            }
        }
        // The descriptors went with the first byte; the rest (if the kernel took only part
        // of the frame) follows as plain data.
        while sent < frame.count {
            let result = frame[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, CInt(MSG_NOSIGNAL)) }
            if result < 0 {
                if errno == EINTR { continue }
                throw IOError(errnoCode: errno, reason: "send")
            }
            sent += result
        }
    }

    /// Reads one message and the descriptors that came with it (close-on-exec set).
    static func receive(_ socket: CInt) throws -> (text: String, descriptors: [CInt]) {
        var received: [UInt8] = []
        var descriptors: [CInt] = []
        var needed = 4
        let controlLength = Self.headerSize + Self.align(Self.maxDescriptors * MemoryLayout<CInt>.size)
        let control = UnsafeMutableRawPointer.allocate(byteCount: controlLength, alignment: MemoryLayout<Int>.alignment)
        defer { control.deallocate() }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < needed {
            let want = min(buffer.count, needed - received.count)
            control.initializeMemory(as: UInt8.self, repeating: 0, count: controlLength)
            let (count, controlUsed) = try buffer.withUnsafeMutableBytes { bytes -> (Int, Int) in
                var vector = iovec(iov_base: bytes.baseAddress, iov_len: want)
                return try withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = control
                    message.msg_controllen = controlLength
                    while true {
                        let result = recvmsg(socket, &message, CInt(MSG_CMSG_CLOEXEC))
                        if result >= 0 { return (result, Int(message.msg_controllen)) }
                        if errno == EINTR { continue }
                        throw IOError(errnoCode: errno, reason: "recvmsg")
                    }
                }
            }
            descriptors += Self.descriptors(in: control, length: controlUsed)
            guard count > 0 else {
                for descriptor in descriptors { close(descriptor) }
                throw ProtocolError(description: "the peer closed the control connection")
            }
            received += buffer[0..<count]
            if needed == 4 && received.count >= 4 {
                let length = Int(received[0]) << 24 | Int(received[1]) << 16 | Int(received[2]) << 8 | Int(received[3])
                guard length <= Self.maxLength else {
                    for descriptor in descriptors { close(descriptor) }
                    throw ProtocolError(description: "control message too long (\(length) bytes)")
                }
                needed = 4 + length
            }
        }
        return (String(decoding: received[4...], as: UTF8.self), descriptors)
    }

    private static func descriptors(in control: UnsafeMutableRawPointer, length: Int) -> [CInt] {
        var result: [CInt] = []
        var offset = 0
        while offset + Self.headerSize <= length {
            let header = (control + offset).load(as: cmsghdr.self)
            let messageLength = Int(header.cmsg_len)
            guard messageLength >= Self.headerSize, offset + messageLength <= length else { break }
            if header.cmsg_level == SOL_SOCKET && header.cmsg_type == CInt(SCM_RIGHTS) {
                let count = (messageLength - Self.headerSize) / MemoryLayout<CInt>.size
                for index in 0..<count {
                    result.append((control + offset + Self.headerSize + index * MemoryLayout<CInt>.size).loadUnaligned(as: CInt.self))
                }
            }
            offset += Self.align(messageLength)
        }
        return result
    }

    /// Sets send and receive timeouts on a control connection, so a stuck peer cannot
    /// hold a takeover forever.
    static func setTimeouts(_ socket: CInt, seconds: Int) {
        var value = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// A Unix socket address for `path` (at most 107 bytes on Linux).
    static func withUnixAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> T) throws -> T {
        let address = try SocketAddress(unixDomainSocketPath: path)
        return try address.withSockAddr { pointer, length in try body(pointer, socklen_t(length)) }
    }

    // MARK: Listener lists

    /// One line per listener: `key<TAB>address`, with `%`, tab and newline escaped.
    static func encode(_ listeners: [InheritedListener]) -> String {
        listeners.map { "\(Self.escape($0.key.text))\t\(Self.escape($0.address))" }.joined(separator: "\n")
    }

    /// The inverse of `encode`, pairing the i-th line with the i-th descriptor.
    static func decode(_ text: String, descriptors: [CInt]) throws -> [InheritedListener] {
        let lines = text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == descriptors.count else {
            throw ProtocolError(description: "\(lines.count) listeners announced, \(descriptors.count) sockets received")
        }
        return try zip(lines, descriptors).map { line, descriptor in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2 else { throw ProtocolError(description: "malformed listener line") }
            return InheritedListener(
                key: ListenerKey(text: Self.unescape(String(fields[0]))),
                address: Self.unescape(String(fields[1])),
                descriptor: descriptor
            )
        }
    }

    static func escape(_ text: String) -> String {
        text.replacingPercent()
    }

    static func unescape(_ text: String) -> String {
        text.removingPercent()
    }
}

extension String {
    fileprivate func replacingPercent() -> String {
        var result = ""
        for character in self {
            switch character {
            case "%": result += "%25"
            case "\t": result += "%09"
            case "\n": result += "%0A"
            default: result.append(character)
            }
        }
        return result
    }

    fileprivate func removingPercent() -> String {
        var result = self
        for (escaped, plain) in [("%09", "\t"), ("%0A", "\n"), ("%25", "%")] {
            result = result.replacing(escaped, with: plain)
        }
        return result
    }
}
