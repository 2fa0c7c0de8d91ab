import PorticoCache
import Testing

@Suite("MemoryCacheStorage")
struct MemoryCacheStorageTests {
    typealias F = StorageFixtures

    @Test("stores and finds an entry by primary key")
    func storesAndFinds() {
        let store = MemoryCacheStorage(capacityBytes: 10_000, maxObjectBytes: 10_000)
        let entry = F.entry(url: "https://example.com/a")
        #expect(store.insert(entry))
        #expect(store.variants(for: F.primary("https://example.com/a")).map(\.variantKey) == [""])
        #expect(store.variants(for: F.primary("https://example.com/a")).first === entry)
        #expect(store.variants(for: F.primary("https://example.com/b")).isEmpty)
    }

    @Test("eviction under the byte bound: least recently used entries go first")
    func evictionUnderTheByteBound() {
        let a = F.entry(url: "https://example.com/a")
        let size = a.size
        let store = MemoryCacheStorage(capacityBytes: 3 * size, maxObjectBytes: size)
        store.insert(a)
        store.insert(F.entry(url: "https://example.com/b"))
        store.insert(F.entry(url: "https://example.com/c"))
        #expect(store.statistics.bytes == 3 * size)
        // Using a makes b the least recently used.
        _ = store.variants(for: F.primary("https://example.com/a"))
        store.insert(F.entry(url: "https://example.com/d"))

        #expect(store.variants(for: F.primary("https://example.com/b")).isEmpty)
        for url in ["https://example.com/a", "https://example.com/c", "https://example.com/d"] {
            #expect(store.variants(for: F.primary(url)).count == 1, "\(url)")
        }
        #expect(store.statistics == CacheStorageStatistics(entries: 3, bytes: 3 * size, capacityBytes: 3 * size, evictions: 1))
    }

    @Test("eviction under the byte bound: a large entry evicts as many as it needs")
    func largeEntryEvictsSeveral() {
        let small = F.entry(url: "https://example.com/s0", bodySize: 100)
        let store = MemoryCacheStorage(capacityBytes: 4 * small.size, maxObjectBytes: 4 * small.size)
        for i in 0..<4 { store.insert(F.entry(url: "https://example.com/s\(i)", bodySize: 100)) }
        let large = F.entry(url: "https://example.com/large", bodySize: 2 * small.size)
        #expect(store.insert(large))
        let statistics = store.statistics
        #expect(statistics.bytes <= statistics.capacityBytes)
        #expect(statistics.evictions == 3)
        #expect(store.keysByRecency.map(\.primaryKey) == [F.primary("https://example.com/large"), F.primary("https://example.com/s3")])
    }

    @Test("recency order follows inserts and lookups")
    func recencyOrder() {
        let store = MemoryCacheStorage(capacityBytes: 100_000, maxObjectBytes: 100_000)
        for name in ["a", "b", "c"] { store.insert(F.entry(url: "https://example.com/\(name)")) }
        _ = store.variants(for: F.primary("https://example.com/a"))
        store.insert(F.entry(url: "https://example.com/b", fill: 0x62))
        #expect(store.keysByRecency.map(\.primaryKey) == ["b", "a", "c"].map { F.primary("https://example.com/\($0)") })
    }

    @Test("per-object limit: a larger entry is refused and the outdated variant removed")
    func perObjectLimit() {
        let store = MemoryCacheStorage(capacityBytes: 100_000, maxObjectBytes: 1_000)
        let small = F.entry(url: "https://example.com/a", bodySize: 100)
        #expect(store.insert(small))
        let large = F.entry(url: "https://example.com/a", bodySize: 2_000)
        #expect(large.size > 1_000)
        #expect(!store.insert(large))
        #expect(store.variants(for: F.primary("https://example.com/a")).isEmpty)
        #expect(store.statistics.entries == 0)
        #expect(store.statistics.bytes == 0)
        #expect(store.statistics.evictions == 0)
    }

    @Test("an entry larger than the whole capacity is refused without evicting others")
    func largerThanCapacity() {
        let other = F.entry(url: "https://example.com/other", bodySize: 10)
        let store = MemoryCacheStorage(capacityBytes: 1_000, maxObjectBytes: 1_000_000)
        store.insert(other)
        #expect(!store.insert(F.entry(url: "https://example.com/huge", bodySize: 5_000)))
        #expect(store.statistics.entries == 1)
        #expect(store.statistics.bytes == other.size)
    }

    @Test("replacing the same variant updates the byte count")
    func replacementUpdatesBytes() {
        let store = MemoryCacheStorage(capacityBytes: 100_000, maxObjectBytes: 100_000)
        let first = F.entry(url: "https://example.com/a", bodySize: 100)
        let second = F.entry(url: "https://example.com/a", bodySize: 500)
        store.insert(first)
        store.insert(second)
        #expect(store.statistics.entries == 1)
        #expect(store.statistics.bytes == second.size)
        #expect(store.variants(for: F.primary("https://example.com/a")).first === second)
        store.insert(first)
        #expect(store.statistics.bytes == first.size)
    }

    @Test("§4.1 variants: one primary key keeps every variant, compressed copies included")
    func variantsOfOneKey() {
        let store = MemoryCacheStorage(capacityBytes: 100_000, maxObjectBytes: 100_000)
        let keys = ["en", "fr", CacheEntry.withCodingSuffix("en", coding: "br")]
        for key in keys { store.insert(F.entry(url: "https://example.com/a", variant: key)) }
        store.insert(F.entry(url: "https://example.com/b", variant: "en"))
        #expect(Set(store.variants(for: F.primary("https://example.com/a")).map(\.variantKey)) == Set(keys))
        #expect(store.statistics.entries == 4)

        store.remove(primaryKey: F.primary("https://example.com/a"), variantKey: "fr")
        #expect(Set(store.variants(for: F.primary("https://example.com/a")).map(\.variantKey)) == Set([keys[0], keys[2]]))
    }

    @Test("§4.1 variants: additions to the key make separate primary keys")
    func additionsSeparateKeys() {
        let store = MemoryCacheStorage(capacityBytes: 100_000, maxObjectBytes: 100_000)
        store.insert(F.entry(url: "https://example.com/a", additions: "tenant=1"))
        store.insert(F.entry(url: "https://example.com/a", additions: "tenant=2"))
        #expect(store.variants(for: CacheKey(url: "https://example.com/a", additions: "tenant=1").primary).count == 1)
        #expect(store.variants(for: F.primary("https://example.com/a")).isEmpty)
    }

    @Test("§4.4 invalidation: removeVariants removes every variant of the key and nothing else")
    func removeVariants() {
        let store = MemoryCacheStorage(capacityBytes: 100_000, maxObjectBytes: 100_000)
        for key in ["en", "fr"] { store.insert(F.entry(url: "https://example.com/a", variant: key)) }
        let other = F.entry(url: "https://example.com/b")
        store.insert(other)
        store.removeVariants(for: F.primary("https://example.com/a"))
        #expect(store.variants(for: F.primary("https://example.com/a")).isEmpty)
        #expect(store.statistics.entries == 1)
        #expect(store.statistics.bytes == other.size)
        #expect(store.statistics.evictions == 0)
    }

    @Test("purge: removeAll(where:) by URL prefix and by exact URL")
    func removeAllByPrefixAndURL() {
        let store = MemoryCacheStorage(capacityBytes: 100_000, maxObjectBytes: 100_000)
        let urls = [
            "https://example.com/img/1.png", "https://example.com/img/2.png", "https://example.com/index.html",
        ]
        for url in urls { store.insert(F.entry(url: url)) }
        store.insert(F.entry(url: "https://example.com/img/1.png", variant: "gzip"))
        store.insert(F.entry(url: "https://example.com/index.html", additions: "tenant=1"))

        let byPrefix = store.removeAll { CacheKey.url(ofPrimary: $0).hasPrefix("https://example.com/img/") }
        #expect(byPrefix == 3)
        let exact = store.removeAll { CacheKey.url(ofPrimary: $0) == "https://example.com/index.html" }
        #expect(exact == 2)
        #expect(store.statistics.entries == 0)
        #expect(store.statistics.bytes == 0)
        #expect(store.removeAll { _ in true } == 0)
    }

    @Test("statistics count entries, bytes, capacity and capacity evictions only")
    func statistics() {
        let a = F.entry(url: "https://example.com/a")
        let store = MemoryCacheStorage(capacityBytes: 2 * a.size, maxObjectBytes: a.size)
        #expect(store.statistics == CacheStorageStatistics(entries: 0, bytes: 0, capacityBytes: 2 * a.size, evictions: 0))
        store.insert(a)
        store.insert(F.entry(url: "https://example.com/b"))
        store.insert(F.entry(url: "https://example.com/c"))
        store.removeVariants(for: F.primary("https://example.com/c"))
        store.removeAll { _ in true }
        #expect(store.statistics == CacheStorageStatistics(entries: 0, bytes: 0, capacityBytes: 2 * a.size, evictions: 1))
    }
}
