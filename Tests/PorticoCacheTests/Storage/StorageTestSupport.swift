import Foundation
import NIOCore
import PorticoCache

/// Builders shared by the storage tests.
enum StorageFixtures {
    static func entry(
        url: String = "https://example.com/a",
        additions: String = "",
        variant: String = "",
        bodySize: Int = 100,
        fill: UInt8 = 0x61,
        headers: [(String, String)] = [("Content-Type", "text/plain")],
        status: Int = 200,
        reason: String = "OK",
        requestTime: Double = 1_700_000_000.25,
        responseTime: Double = 1_700_000_000.5
    ) -> CacheEntry {
        var body = ByteBufferAllocator().buffer(capacity: bodySize)
        body.writeRepeatingByte(fill, count: bodySize)
        return CacheEntry(
            key: CacheKey(url: url, additions: additions),
            variantKey: variant,
            response: StoredResponse(
                status: status,
                reason: reason,
                headers: HeaderList(headers),
                requestTime: requestTime,
                responseTime: responseTime
            ),
            body: body
        )
    }

    static func primary(_ url: String) -> String { CacheKey(url: url).primary }
}

/// A fresh directory under the system temp directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = #function) {
        let name = "portico-cache-test-\(label.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString)"
        self.path = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
    }

    init(path: String) {
        self.path = path
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: self.path)
    }

    /// Every regular file below the directory, as paths relative to it, sorted.
    func files() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: self.path) else { return [] }
        var result: [String] = []
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: self.path + "/" + relative, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                result.append(relative)
            }
        }
        return result.sorted()
    }

    static func setModified(_ path: String, secondsAgo: Double) throws {
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: -secondsAgo)],
            ofItemAtPath: path
        )
    }
}
