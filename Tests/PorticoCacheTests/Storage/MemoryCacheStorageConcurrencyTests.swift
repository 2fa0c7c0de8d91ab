import Dispatch
import PorticoCache
import Testing

@Suite("MemoryCacheStorage concurrency")
struct MemoryCacheStorageConcurrencyTests {
    typealias F = StorageFixtures

    @Test("concurrent inserts, lookups and removals keep the byte count consistent")
    func concurrentUseKeepsBytesConsistent() {
        let sample = F.entry(url: "https://example.com/k00", variant: "v0", bodySize: 64)
        let store = MemoryCacheStorage(capacityBytes: 40 * sample.size, maxObjectBytes: 4 * sample.size)
        DispatchQueue.concurrentPerform(iterations: 16) { worker in
            for i in 0..<400 {
                let url = "https://example.com/k\(String((worker * 7 + i) % 60).leftPadded(2))"
                switch i % 5 {
                case 0, 1: store.insert(F.entry(url: url, variant: "v\(i % 3)", bodySize: 64 * (1 + i % 3)))
                case 2, 3: _ = store.variants(for: F.primary(url))
                default:
                    if i % 20 == 4 { store.removeVariants(for: F.primary(url)) } else {
                        store.remove(primaryKey: F.primary(url), variantKey: "v1")
                    }
                }
            }
        }
        let statistics = store.statistics
        let keys = store.keysByRecency
        let storedBytes = keys.reduce(0) { total, key in
            total + store.variants(for: key.primaryKey).first { $0.variantKey == key.variantKey }!.size
        }
        #expect(statistics.entries == keys.count)
        #expect(statistics.bytes == storedBytes)
        #expect(statistics.bytes <= statistics.capacityBytes)
        #expect(statistics.evictions > 0)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - self.count)) + self
    }
}
