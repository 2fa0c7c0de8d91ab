import Dispatch
import Foundation
import PorticoCache
import Testing

@Suite("DiskCacheStorage concurrency")
struct DiskCacheStorageConcurrencyTests {
    typealias F = StorageFixtures

    @Test("concurrent inserts, lookups and removals keep the index, the files and the byte count consistent")
    func concurrentUse() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try DiskCacheStorage(
            directory: directory.path,
            capacityBytes: 20 * 400,
            maxObjectBytes: 100_000,
            // Memory smaller than disk, so lookups also read files.
            memory: MemoryCacheStorage(capacityBytes: 5 * 400, maxObjectBytes: 100_000)
        )
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<150 {
                let url = "https://example.com/k\((worker * 5 + i) % 40)"
                switch i % 6 {
                case 0, 1, 2: store.insert(F.entry(url: url, variant: "v\(i % 2)", bodySize: 100 + i % 50))
                case 3, 4: _ = store.variants(for: F.primary(url))
                default: store.remove(primaryKey: F.primary(url), variantKey: "v1")
                }
            }
        }
        let statistics = store.statistics
        let files = directory.files()
        #expect(files.allSatisfy { !$0.contains(".tmp-") })
        #expect(statistics.entries == files.count)
        let fileBytes = try files.reduce(0) { total, file in
            total + (try FileManager.default.attributesOfItem(atPath: directory.path + "/" + file)[.size] as! Int)
        }
        #expect(statistics.bytes == fileBytes)
        #expect(statistics.bytes <= statistics.capacityBytes)

        // A restart sees the same files.
        let reopened = try DiskCacheStorage(
            directory: directory.path,
            capacityBytes: 20 * 400,
            maxObjectBytes: 100_000,
            memory: MemoryCacheStorage(capacityBytes: 5 * 400, maxObjectBytes: 100_000)
        )
        #expect(reopened.statistics.entries == statistics.entries)
        #expect(reopened.statistics.bytes == statistics.bytes)
        #expect(reopened.filesDeletedAtStart == 0)
    }
}
