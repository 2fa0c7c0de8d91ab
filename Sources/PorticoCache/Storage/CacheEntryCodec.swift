import NIOCore

/// The on-disk form of one `CacheEntry` (one file per entry, `DiskCacheStorage`).
///
/// Layout, integers little-endian:
///
///     "PRTC"  magic (4 bytes)
///     u16     format version (1)
///     u32     head length: bytes of the fields below up to the body
///     str     url, str additions, str variant key        (str = u32 length + UTF-8)
///     u16     status, str reason
///     u64     request_time, u64 response_time             (IEEE 754 bit patterns)
///     u32     field count, then per field: str name, str value
///     u64     body length
///     body bytes
///
/// Why a header of our own rather than the response as HTTP/1.1 bytes: the entry's
/// keys and the RFC 9111 §4.2.3 clock readings must survive too, and reading a few
/// length-prefixed strings back needs no parser. The version lets a later format be
/// told apart (an older Portico skips what it cannot read). The total length must
/// match exactly, so a truncated file (power loss before the data reached the disk)
/// is recognised as corrupt rather than served short.
enum CacheEntryCodec {
    static let magic: [UInt8] = Array("PRTC".utf8)
    static let version: UInt16 = 1
    /// Magic, version and head length: what must be read to know the head's size.
    static let preambleLength = 4 + 2 + 4
    /// Heads beyond this are not ours (a sane response head is a few KiB).
    static let maxHeadLength = 16 * 1024 * 1024

    /// An entry's head as read back from a file.
    struct Head: Sendable {
        var key: CacheKey
        var variantKey: String
        var response: StoredResponse
        var bodyLength: Int
        /// Preamble plus head: where the body starts in the file.
        var encodedLength: Int
    }

    /// The preamble and head of `entry` (the body follows them in the file).
    static func encodeHead(of entry: CacheEntry, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var head = allocator.buffer(capacity: 256 + entry.response.headers.wireSize)
        self.writeString(entry.key.url, to: &head)
        self.writeString(entry.key.additions, to: &head)
        self.writeString(entry.variantKey, to: &head)
        head.writeInteger(UInt16(clamping: entry.response.status), endianness: .little)
        self.writeString(entry.response.reason, to: &head)
        head.writeInteger(entry.response.requestTime.bitPattern, endianness: .little)
        head.writeInteger(entry.response.responseTime.bitPattern, endianness: .little)
        head.writeInteger(UInt32(entry.response.headers.fields.count), endianness: .little)
        for field in entry.response.headers.fields {
            self.writeString(field.name, to: &head)
            self.writeString(field.value, to: &head)
        }
        head.writeInteger(UInt64(entry.body.readableBytes), endianness: .little)

        var result = allocator.buffer(capacity: self.preambleLength + head.readableBytes)
        result.writeBytes(self.magic)
        result.writeInteger(self.version, endianness: .little)
        result.writeInteger(UInt32(head.readableBytes), endianness: .little)
        result.writeBuffer(&head)
        return result
    }

    /// The head length a preamble announces, or nil when `preamble` is not ours (wrong
    /// magic, another version, absurd length).
    static func headLength(preamble: ByteBuffer) -> Int? {
        var preamble = preamble
        guard preamble.readBytes(length: 4) == self.magic,
            preamble.readInteger(endianness: .little, as: UInt16.self) == self.version,
            let length = preamble.readInteger(endianness: .little, as: UInt32.self),
            Int(length) <= self.maxHeadLength
        else { return nil }
        return Int(length)
    }

    /// Reads the preamble and head at the start of `buffer`; nil when they are not
    /// ours or do not parse. Does not need the body to be present.
    static func decodeHead(_ buffer: ByteBuffer) -> Head? {
        var buffer = buffer
        guard buffer.readableBytes >= self.preambleLength,
            let length = self.headLength(preamble: buffer.getSlice(at: buffer.readerIndex, length: self.preambleLength)!),
            buffer.readableBytes >= self.preambleLength + length
        else { return nil }
        buffer.moveReaderIndex(forwardBy: self.preambleLength)
        guard var head = buffer.readSlice(length: length),
            let url = self.readString(&head),
            let additions = self.readString(&head),
            let variantKey = self.readString(&head),
            let status = head.readInteger(endianness: .little, as: UInt16.self),
            let reason = self.readString(&head),
            let requestTime = head.readInteger(endianness: .little, as: UInt64.self),
            let responseTime = head.readInteger(endianness: .little, as: UInt64.self),
            let fieldCount = head.readInteger(endianness: .little, as: UInt32.self),
            Int(fieldCount) <= head.readableBytes / 8
        else { return nil }
        var fields: [HeaderList.Field] = []
        fields.reserveCapacity(Int(fieldCount))
        for _ in 0..<fieldCount {
            guard let name = self.readString(&head), let value = self.readString(&head) else { return nil }
            fields.append(HeaderList.Field(name: name, value: value))
        }
        guard let bodyLength = head.readInteger(endianness: .little, as: UInt64.self),
            bodyLength <= UInt64(Int.max - self.preambleLength - length),
            head.readableBytes == 0
        else { return nil }
        let response = StoredResponse(
            status: Int(status),
            reason: reason,
            headers: HeaderList(fields),
            requestTime: Double(bitPattern: requestTime),
            responseTime: Double(bitPattern: responseTime)
        )
        return Head(
            key: CacheKey(url: url, additions: additions),
            variantKey: variantKey,
            response: response,
            bodyLength: Int(bodyLength),
            encodedLength: self.preambleLength + length
        )
    }

    /// A whole file's bytes back as an entry; nil when corrupt, foreign or truncated
    /// (the length must match exactly).
    static func decodeEntry(_ buffer: ByteBuffer) -> CacheEntry? {
        guard let head = self.decodeHead(buffer),
            buffer.readableBytes == head.encodedLength + head.bodyLength,
            let body = buffer.getSlice(at: buffer.readerIndex + head.encodedLength, length: head.bodyLength)
        else { return nil }
        return CacheEntry(key: head.key, variantKey: head.variantKey, response: head.response, body: body)
    }

    private static func writeString(_ string: String, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(string.utf8.count), endianness: .little)
        buffer.writeString(string)
    }

    private static func readString(_ buffer: inout ByteBuffer) -> String? {
        guard let length = buffer.readInteger(endianness: .little, as: UInt32.self),
            Int(length) <= buffer.readableBytes
        else { return nil }
        return buffer.readString(length: Int(length))
    }
}
