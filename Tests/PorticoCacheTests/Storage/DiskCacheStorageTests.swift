import Foundation
import NIOCore
import PorticoCache
import Testing

@Suite("DiskCacheStorage")
struct DiskCacheStorageTests {
    typealias F = StorageFixtures

    private func open(_ directory: TemporaryDirectory, capacity: Int = 1_000_000, memory: Int = 1_000_000) throws
        -> DiskCacheStorage
    {
        try DiskCacheStorage(
            directory: directory.path,
            capacityBytes: capacity,
            maxObjectBytes: 100_000,
            memory: MemoryCacheStorage(capacityBytes: memory, maxObjectBytes: 100_000)
        )
    }

    /// The size of the file `entry` is stored in.
    private func fileSize(_ store: DiskCacheStorage, _ entry: CacheEntry) throws -> Int {
        let path = store.filePath(primaryKey: entry.key.primary, variantKey: entry.variantKey)
        return try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
    }

    @Test("restart survival: a new instance on the same directory finds the entry with identical head and body")
    func restartSurvival() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var body = ByteBufferAllocator().buffer(capacity: 256)
        for byte in 0...255 { body.writeInteger(UInt8(byte)) }
        let entry = CacheEntry(
            key: CacheKey(url: "https://example.com/päth?q=1", additions: "tenant=ü"),
            variantKey: CacheEntry.withCodingSuffix("accept-language=fr", coding: "br"),
            response: StoredResponse(
                status: 203,
                reason: "Non-Authoritative Information",
                headers: HeaderList([
                    ("Content-Type", "text/html; charset=utf-8"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
                    ("X-Empty", ""), ("ETag", "\"v1\""),
                ]),
                requestTime: 1_700_000_000.123,
                responseTime: 1_700_000_001.987
            ),
            body: body
        )
        do {
            let store = try self.open(directory)
            #expect(store.insert(entry))
            #expect(store.statistics.entries == 1)
        }
        let reopened = try self.open(directory)
        #expect(reopened.statistics.entries == 1)
        let storedSize = try self.fileSize(reopened, entry)
        #expect(reopened.statistics.bytes == storedSize)
        #expect(reopened.memory.statistics.entries == 0)
        let found = reopened.variants(for: entry.key.primary)
        #expect(found.count == 1)
        let copy = try #require(found.first)
        #expect(copy.key == entry.key)
        #expect(copy.variantKey == entry.variantKey)
        #expect(copy.response == entry.response)
        #expect(copy.body == entry.body)
        // Promoted into memory: the next lookup is served from there.
        #expect(reopened.memory.statistics.entries == 1)
        #expect(reopened.variants(for: entry.key.primary).first === reopened.memory.variants(for: entry.key.primary).first)
    }

    @Test("a memory miss reads the entry from disk")
    func memoryMissReadsDisk() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let a = F.entry(url: "https://example.com/a")
        // Memory holds one entry only: b pushes a out of memory, not off disk.
        let store = try self.open(directory, memory: a.size + 50)
        store.insert(a)
        store.insert(F.entry(url: "https://example.com/b"))
        #expect(store.memory.variants(for: a.key.primary).isEmpty)
        #expect(store.variants(for: a.key.primary).first?.body == a.body)
        #expect(store.statistics.entries == 2)
    }

    @Test("variants on disk and in memory are returned together")
    func variantsUnion() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try self.open(directory)
        for variant in ["en", "fr"] { store.insert(F.entry(url: "https://example.com/a", variant: variant)) }
        store.memory.remove(primaryKey: F.primary("https://example.com/a"), variantKey: "fr")
        #expect(Set(store.variants(for: F.primary("https://example.com/a")).map(\.variantKey)) == ["en", "fr"])
    }

    @Test("eviction under the byte bound: the least recently used files are deleted")
    func diskEviction() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let probe = try self.open(directory)
        let a = F.entry(url: "https://example.com/a")
        probe.insert(a)
        let fileSize = try self.fileSize(probe, a)
        probe.remove(primaryKey: a.key.primary, variantKey: "")
        #expect(directory.files().isEmpty)

        let store = try self.open(directory, capacity: 2 * fileSize)
        store.insert(F.entry(url: "https://example.com/a"))
        store.insert(F.entry(url: "https://example.com/b"))
        _ = store.variants(for: F.primary("https://example.com/a"))
        store.insert(F.entry(url: "https://example.com/c"))
        #expect(store.statistics == CacheStorageStatistics(entries: 2, bytes: 2 * fileSize, capacityBytes: 2 * fileSize, evictions: 1))
        let bPath = store.filePath(primaryKey: F.primary("https://example.com/b"), variantKey: "")
        #expect(!FileManager.default.fileExists(atPath: bPath))
        #expect(directory.files().count == 2)
    }

    @Test("restart with a smaller bound deletes the oldest files by modification time")
    func restartEnforcesBound() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let entries = ["a", "b", "c"].map { F.entry(url: "https://example.com/\($0)") }
        let fileSize: Int
        do {
            let store = try self.open(directory)
            for entry in entries { store.insert(entry) }
            fileSize = try self.fileSize(store, entries[0])
            // b oldest, then c, then a.
            for (entry, age) in zip(entries, [100.0, 300.0, 200.0]) {
                try TemporaryDirectory.setModified(store.filePath(primaryKey: entry.key.primary, variantKey: ""), secondsAgo: age)
            }
        }
        let reopened = try self.open(directory, capacity: 2 * fileSize)
        #expect(reopened.statistics.entries == 2)
        #expect(reopened.statistics.evictions == 1)
        #expect(reopened.variants(for: entries[1].key.primary).isEmpty)
        #expect(reopened.variants(for: entries[0].key.primary).count == 1)
        #expect(reopened.variants(for: entries[2].key.primary).count == 1)
        #expect(directory.files().count == 2)
    }

    @Test("corrupt and truncated entry files are skipped and deleted; foreign files are left alone")
    func corruptFilesAtStart() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let good = F.entry(url: "https://example.com/good")
        let truncated = F.entry(url: "https://example.com/truncated")
        let garbagePath: String
        let truncatedPath: String
        do {
            let store = try self.open(directory)
            store.insert(good)
            store.insert(truncated)
            truncatedPath = store.filePath(primaryKey: truncated.key.primary, variantKey: "")
            garbagePath = store.filePath(primaryKey: F.primary("https://example.com/garbage"), variantKey: "")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: truncatedPath))
        try data.prefix(data.count - 10).write(to: URL(fileURLWithPath: truncatedPath))
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: garbagePath).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try Data("not a cache entry".utf8).write(to: URL(fileURLWithPath: garbagePath))
        try Data("operator notes".utf8).write(to: URL(fileURLWithPath: directory.path + "/README"))

        let reopened = try self.open(directory)
        #expect(reopened.statistics.entries == 1)
        #expect(reopened.filesDeletedAtStart == 2)
        #expect(reopened.variants(for: good.key.primary).first?.body == good.body)
        #expect(reopened.variants(for: truncated.key.primary).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: truncatedPath))
        #expect(!FileManager.default.fileExists(atPath: garbagePath))
        #expect(FileManager.default.fileExists(atPath: directory.path + "/README"))
    }

    @Test("a file corrupted after start is a miss, deleted and forgotten")
    func corruptFileAtRead() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let entry = F.entry(url: "https://example.com/a")
        do { try self.open(directory).insert(entry) }
        let store = try self.open(directory)
        let path = store.filePath(primaryKey: entry.key.primary, variantKey: "")
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: path))
        #expect(store.variants(for: entry.key.primary).isEmpty)
        #expect(store.statistics.entries == 0)
        #expect(store.statistics.bytes == 0)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("a file removed behind the store's back is a miss and forgotten")
    func vanishedFile() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let entry = F.entry(url: "https://example.com/a")
        do { try self.open(directory).insert(entry) }
        let store = try self.open(directory)
        try FileManager.default.removeItem(atPath: store.filePath(primaryKey: entry.key.primary, variantKey: ""))
        #expect(store.variants(for: entry.key.primary).isEmpty)
        #expect(store.statistics.entries == 0)
    }

    @Test("temp file leftovers are ignored, and deleted at start once stale")
    func temporaryLeftovers() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let entry = F.entry(url: "https://example.com/a")
        let subdirectory: String
        do {
            let store = try self.open(directory)
            store.insert(entry)
            let path = store.filePath(primaryKey: entry.key.primary, variantKey: "")
            subdirectory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        }
        // A crashed writer's half-written copy, and one another process writes now.
        let stale = subdirectory + "/.tmp-" + String(repeating: "a", count: 64) + "-1-1"
        let fresh = subdirectory + "/.tmp-" + String(repeating: "b", count: 64) + "-1-2"
        try Data("PRTC half".utf8).write(to: URL(fileURLWithPath: stale))
        try Data("PRTC half".utf8).write(to: URL(fileURLWithPath: fresh))
        try TemporaryDirectory.setModified(stale, secondsAgo: 3_600)

        let reopened = try self.open(directory)
        #expect(reopened.statistics.entries == 1)
        #expect(reopened.filesDeletedAtStart == 1)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: fresh))
        // Writes leave no temp files behind.
        reopened.insert(F.entry(url: "https://example.com/b"))
        #expect(directory.files().filter { $0.contains(".tmp-") }.count == 1)
    }

    @Test("replacing a variant rewrites its file and updates the byte count")
    func replacement() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try self.open(directory)
        store.insert(F.entry(url: "https://example.com/a", bodySize: 100))
        let second = F.entry(url: "https://example.com/a", bodySize: 300, fill: 0x62)
        store.insert(second)
        #expect(store.statistics.entries == 1)
        let storedSize = try self.fileSize(store, second)
        #expect(store.statistics.bytes == storedSize)
        let reopened = try self.open(directory)
        #expect(reopened.variants(for: second.key.primary).first?.body == second.body)
    }

    @Test("per-object limit: a larger entry is refused and the outdated variant's file deleted")
    func perObjectLimit() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try self.open(directory)
        store.insert(F.entry(url: "https://example.com/a", bodySize: 100))
        #expect(!store.insert(F.entry(url: "https://example.com/a", bodySize: 200_000)))
        #expect(store.statistics.entries == 0)
        #expect(store.memory.statistics.entries == 0)
        #expect(directory.files().isEmpty)
    }

    @Test("an entry whose file exceeds the disk bound is kept in memory only")
    func largerThanDisk() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try self.open(directory, capacity: 100)
        let entry = F.entry(url: "https://example.com/a", bodySize: 500)
        #expect(store.insert(entry))
        #expect(store.statistics.entries == 0)
        #expect(store.variants(for: entry.key.primary).first === entry)
        #expect(directory.files().isEmpty)
    }

    @Test("§4.4 invalidation: removeVariants and remove delete the files and memory entries")
    func removeVariants() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try self.open(directory)
        for variant in ["en", "fr"] { store.insert(F.entry(url: "https://example.com/a", variant: variant)) }
        store.insert(F.entry(url: "https://example.com/b"))
        store.remove(primaryKey: F.primary("https://example.com/b"), variantKey: "")
        #expect(directory.files().count == 2)
        store.removeVariants(for: F.primary("https://example.com/a"))
        #expect(directory.files().isEmpty)
        #expect(store.statistics.entries == 0)
        #expect(store.statistics.bytes == 0)
        #expect(store.memory.statistics.entries == 0)
        #expect(store.variants(for: F.primary("https://example.com/a")).isEmpty)
    }

    @Test("purge: removeAll(where:) by prefix and exact URL deletes files, counting each entry once")
    func purge() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try self.open(directory)
        for url in ["https://example.com/img/1.png", "https://example.com/img/2.png", "https://example.com/index.html"] {
            store.insert(F.entry(url: url))
        }
        store.insert(F.entry(url: "https://example.com/img/1.png", variant: "gzip"))
        // In memory only (as if its file had been evicted).
        store.memory.insert(F.entry(url: "https://example.com/img/3.png"))

        #expect(store.removeAll { CacheKey.url(ofPrimary: $0).hasPrefix("https://example.com/img/") } == 4)
        #expect(directory.files().count == 1)
        #expect(store.removeAll { CacheKey.url(ofPrimary: $0) == "https://example.com/index.html" } == 1)
        #expect(directory.files().isEmpty)
        #expect(store.statistics.entries == 0)
        #expect(store.memory.statistics.entries == 0)
        #expect(store.statistics.evictions == 0)
    }

    @Test("init creates the directory, and throws when it cannot")
    func initDirectory() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let nested = directory.path + "/nested/deeper"
        _ = try self.open(TemporaryDirectory(path: nested))
        #expect(FileManager.default.fileExists(atPath: nested))
        let blocker = directory.path + "/file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        #expect(throws: (any Error).self) {
            _ = try DiskCacheStorage(
                directory: blocker + "/cache",
                capacityBytes: 1_000,
                maxObjectBytes: 1_000,
                memory: MemoryCacheStorage(capacityBytes: 1_000, maxObjectBytes: 1_000)
            )
        }
    }
}
