import NIOCore
import Synchronization

/// A size-bounded directory store that survives restarts, with a memory store in
/// front (nginx's `proxy_cache_path` with its keys zone; RFC 9111 §3 leaves where and
/// how long to keep responses to the cache).
///
/// - Lookups go to memory first. On a memory miss the entry's file is read **on the
///   caller's thread** (an event loop) and promoted into memory: the accepted
///   trade-off for now, as the file is usually in the page cache, like nginx's
///   cache reads. Hits from memory do no I/O.
/// - Each entry is one file (`DiskCacheLayout`, `CacheEntryCodec`), written to a temp
///   file in its directory and published with `rename(2)`, so a crash never leaves a
///   half-written entry visible. No `fsync`: after a power loss recent entries may be
///   missing or truncated; truncated files fail the length check and are deleted at
///   the next start.
/// - On init the directory is scanned (`DiskCacheScanner`) to rebuild the index; a
///   file's modification time is its recency, refreshed when it is read from disk.
/// - The bound counts file sizes; the least recently used files go first.
///
/// One `Mutex` guards the index (primary key → variant key → file, recency list,
/// bytes). Files are written and read outside it; the cheap metadata calls that must
/// stay ordered with the index (`rename`, `unlink`) and the memory store's updates
/// for entries on disk happen under it, so a slow reader can never put back into
/// memory an entry that was replaced or purged while it read (each file carries a
/// generation number that every change bumps).
///
/// One process owns the directory. During a hot upgrade two processes share it, each
/// with its own index: a file the other removed is simply a miss.
public final class DiskCacheStorage: CacheStorage {
    private struct FileRecord: Sendable {
        var fileName: String
        /// Bumped by every publish of this variant, to spot a read that raced a change.
        var generation: UInt64
    }

    private struct State: Sendable {
        var index = LRUVariantIndex<FileRecord>()
        var evictions = 0
        var nextGeneration: UInt64 = 1
    }

    public let directory: String
    /// The bound on the files' total size.
    public let capacityBytes: Int
    /// Entries whose `CacheEntry.size` is larger are refused.
    public let maxObjectBytes: Int
    /// The store in front: its own bound applies to what is promoted.
    public let memory: MemoryCacheStorage
    /// Corrupt entry files and stale temp files the start-up scan deleted.
    public let filesDeletedAtStart: Int

    private let layout: DiskCacheLayout
    private let state: Mutex<State>
    private let temporaryFileSequence = Atomic<UInt64>(0)

    /// Loads the index of what an earlier process left in `directory` (creating it if
    /// missing). Throws when the directory cannot be created or written.
    ///
    /// Blocks while it reads every entry file's head: call it at start-up, not on an
    /// event loop.
    public init(directory: String, capacityBytes: Int, maxObjectBytes: Int, memory: MemoryCacheStorage) throws {
        let directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        try CacheFileSystem.createDirectory(directory)
        try CacheFileSystem.checkWritable(directory)
        self.directory = directory
        self.capacityBytes = max(0, capacityBytes)
        self.maxObjectBytes = max(0, maxObjectBytes)
        self.memory = memory
        self.layout = DiskCacheLayout(directory: directory)

        let scan = DiskCacheScanner.scan(self.layout, now: CacheFileSystem.now())
        var state = State()
        for file in scan.files {  // least recently used first, so the last is the most recent
            state.index.upsert(
                primaryKey: file.id.primaryKey,
                variantKey: file.id.variantKey,
                payload: FileRecord(fileName: file.fileName, generation: state.nextGeneration),
                size: file.size
            )
            state.nextGeneration += 1
        }
        Self.evictBeyondCapacity(&state, capacityBytes: self.capacityBytes, layout: self.layout)
        self.filesDeletedAtStart = scan.deleted
        self.state = Mutex(state)
    }

    /// Memory's variants of `primaryKey`, plus those only on disk (read now, on the
    /// caller's thread, and promoted into memory). All are marked recently used.
    public func variants(for primaryKey: String) -> [CacheEntry] {
        var result = self.memory.variants(for: primaryKey)
        let inMemory = result.map(\.variantKey)  // a handful: a linear search beats hashing
        let onlyOnDisk = self.state.withLock { state in
            state.index.touchVariants(of: primaryKey).filter { !inMemory.contains($0.variantKey) }
        }
        for (variantKey, record) in onlyOnDisk {
            let path = self.layout.path(ofFile: record.fileName)
            let entry = CacheFileSystem.read(path, markUsed: true).flatMap(CacheEntryCodec.decodeEntry)
            let valid = entry.map { $0.key.primary == primaryKey && $0.variantKey == variantKey } ?? false
            self.state.withLock { state in
                guard state.index.peek(primaryKey: primaryKey, variantKey: variantKey)?.generation == record.generation
                else { return }  // replaced or removed while we read: leave memory to the newer state
                if let entry, valid {
                    self.memory.insert(entry)
                } else {
                    // Gone (another process evicted it) or corrupt: forget it.
                    state.index.remove(primaryKey: primaryKey, variantKey: variantKey)
                    CacheFileSystem.remove(path)
                }
            }
            if let entry, valid { result.append(entry) }
        }
        return result
    }

    /// Writes `entry`'s file (on the caller's thread), publishes it, evicts the least
    /// recently used files beyond the bound, and stores it in memory too.
    ///
    /// Returns false, storing nothing, when `entry.size` exceeds `maxObjectBytes`; the
    /// variant it would replace is removed (outdated). An entry whose file exceeds the
    /// whole disk bound, or whose write fails (disk full), is kept in memory only.
    @discardableResult
    public func insert(_ entry: CacheEntry) -> Bool {
        let primaryKey = entry.key.primary
        let variantKey = entry.variantKey
        guard entry.size <= self.maxObjectBytes else {
            self.remove(primaryKey: primaryKey, variantKey: variantKey)
            return false
        }
        let fileName = DiskCacheLayout.fileName(primaryKey: primaryKey, variantKey: variantKey)
        let head = CacheEntryCodec.encodeHead(of: entry)
        let fileSize = head.readableBytes + entry.body.readableBytes
        let written = fileSize <= self.capacityBytes ? self.writeTemporaryFile(fileName, head: head, body: entry.body) : nil

        return self.state.withLock { state in
            var published = false
            if let written {
                do {
                    try CacheFileSystem.rename(written, to: self.layout.path(ofFile: fileName))
                    published = true
                } catch {
                    CacheFileSystem.remove(written)
                }
            }
            if published {
                state.index.upsert(
                    primaryKey: primaryKey,
                    variantKey: variantKey,
                    payload: FileRecord(fileName: fileName, generation: state.nextGeneration),
                    size: fileSize
                )
                state.nextGeneration += 1
                Self.evictBeyondCapacity(&state, capacityBytes: self.capacityBytes, layout: self.layout)
            } else if let outdated = state.index.remove(primaryKey: primaryKey, variantKey: variantKey) {
                CacheFileSystem.remove(self.layout.path(ofFile: outdated.fileName))
            }
            let inMemory = self.memory.insert(entry)
            return published || inMemory
        }
    }

    public func remove(primaryKey: String, variantKey: String) {
        self.state.withLock { state in
            if let record = state.index.remove(primaryKey: primaryKey, variantKey: variantKey) {
                CacheFileSystem.remove(self.layout.path(ofFile: record.fileName))
            }
            self.memory.remove(primaryKey: primaryKey, variantKey: variantKey)
        }
    }

    public func removeVariants(for primaryKey: String) {
        self.state.withLock { state in _ = self.removeVariantsLocked(primaryKey, &state) }
    }

    /// Walks every primary key on disk and in memory (purges are rare); deletes the
    /// files on the caller's thread. `predicate` runs outside the disk index's lock.
    @discardableResult
    public func removeAll(where predicate: (String) -> Bool) -> Int {
        let onDisk = self.state.withLock { state in state.index.primaryKeys }.filter(predicate)
        var removed = 0
        if !onDisk.isEmpty {
            removed = self.state.withLock { state in
                onDisk.reduce(0) { $0 + self.removeVariantsLocked($1, &state) }
            }
        }
        // Entries only in memory (their file was evicted, or never written).
        return removed + self.memory.removeAll(where: predicate)
    }

    /// The disk side: files, their bytes, the disk bound and evictions from it
    /// (`memory.statistics` has the memory side).
    public var statistics: CacheStorageStatistics {
        self.state.withLock { state in
            CacheStorageStatistics(
                entries: state.index.count,
                bytes: state.index.bytes,
                capacityBytes: self.capacityBytes,
                evictions: state.evictions
            )
        }
    }

    /// Where the file of one variant lives (whether or not it is stored): for
    /// operators and tests.
    public func filePath(primaryKey: String, variantKey: String) -> String {
        self.layout.path(ofFile: DiskCacheLayout.fileName(primaryKey: primaryKey, variantKey: variantKey))
    }

    // MARK: - Private

    /// Removes `primaryKey`'s files and memory entries; returns how many distinct
    /// variants went. Call with the lock held.
    private func removeVariantsLocked(_ primaryKey: String, _ state: inout State) -> Int {
        var variantKeys = Set<String>()
        for (variantKey, record) in state.index.removeVariants(of: primaryKey) {
            CacheFileSystem.remove(self.layout.path(ofFile: record.fileName))
            variantKeys.insert(variantKey)
        }
        variantKeys.formUnion(self.memory.removeVariantKeys(for: primaryKey))
        return variantKeys.count
    }

    /// Deletes least recently used files until the bound holds (the newest file fits
    /// alone, so it is never the one deleted).
    private static func evictBeyondCapacity(_ state: inout State, capacityBytes: Int, layout: DiskCacheLayout) {
        while state.index.bytes > capacityBytes, let (_, record) = state.index.removeLeastRecent() {
            CacheFileSystem.remove(layout.path(ofFile: record.fileName))
            state.evictions += 1
        }
    }

    /// The path of a new temp file holding the entry, or nil when it could not be
    /// written (the level directories are created on first use).
    private func writeTemporaryFile(_ fileName: String, head: ByteBuffer, body: ByteBuffer) -> String? {
        let sequence = self.temporaryFileSequence.wrappingAdd(1, ordering: .relaxed).newValue
        let path = self.layout.temporaryPath(ofFile: fileName, processID: CacheFileSystem.processID(), sequence: sequence)
        do {
            try CacheFileSystem.writeNewFile(path, head: head, body: body)
            return path
        } catch where error.isMissingDirectory {
            do {
                try CacheFileSystem.createDirectory(self.layout.subdirectory(ofFile: fileName))
                try CacheFileSystem.writeNewFile(path, head: head, body: body)
                return path
            } catch {
                return nil
            }
        } catch {
            return nil
        }
    }
}
