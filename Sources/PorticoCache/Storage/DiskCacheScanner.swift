/// Rebuilds the disk store's index from what an earlier process left in its
/// directory (nginx's "cache loader", done synchronously at start).
///
/// Reads each entry file's head only (keys and length), never bodies. What it meets:
/// - an entry file that parses, sits where its keys hash to and has the announced
///   length: indexed, its modification time as its recency;
/// - a file named like an entry that does not (truncated by a power loss, a foreign
///   version, misplaced): deleted;
/// - a temp file older than `DiskCacheLayout.staleTemporaryFileSeconds`: a crashed
///   writer's leftover, deleted; younger ones are left to their writer;
/// - anything else: not ours, left alone.
enum DiskCacheScanner {
    struct ScannedFile {
        var id: VariantID
        var fileName: String
        var size: Int
        var modified: Double
    }

    struct Result {
        /// Valid entries, least recently used first.
        var files: [ScannedFile] = []
        /// Corrupt entries and stale temp files deleted.
        var deleted = 0
    }

    static func scan(_ layout: DiskCacheLayout, now: Double) -> Result {
        var result = Result()
        for first in CacheFileSystem.list(layout.directory) where DiskCacheLayout.isLevelName(first) {
            let firstPath = layout.directory + "/" + first
            for second in CacheFileSystem.list(firstPath) where DiskCacheLayout.isLevelName(second) {
                let secondPath = firstPath + "/" + second
                for name in CacheFileSystem.list(secondPath) {
                    self.visit(name, in: secondPath, expectedPrefix: first + second, now: now, into: &result)
                }
            }
        }
        result.files.sort { $0.modified < $1.modified }
        return result
    }

    private static func visit(_ name: String, in directory: String, expectedPrefix: String, now: Double, into result: inout Result) {
        let path = directory + "/" + name
        if name.hasPrefix(DiskCacheLayout.temporaryPrefix) {
            if let info = CacheFileSystem.info(path), !info.isDirectory,
                info.modified < now - DiskCacheLayout.staleTemporaryFileSeconds
            {
                CacheFileSystem.remove(path)
                result.deleted += 1
            }
            return
        }
        guard DiskCacheLayout.isEntryFileName(name) else { return }
        guard let (prefix, info) = CacheFileSystem.readPrefix(path, moreAfterPreamble: CacheEntryCodec.headLength(preamble:))
        else { return }
        guard !info.isDirectory else { return }
        guard let head = CacheEntryCodec.decodeHead(prefix),
            info.size == head.encodedLength + head.bodyLength,
            name.hasPrefix(expectedPrefix),
            DiskCacheLayout.fileName(primaryKey: head.key.primary, variantKey: head.variantKey) == name
        else {
            CacheFileSystem.remove(path)
            result.deleted += 1
            return
        }
        result.files.append(
            ScannedFile(
                id: VariantID(primaryKey: head.key.primary, variantKey: head.variantKey),
                fileName: name,
                size: info.size,
                modified: info.modified
            )
        )
    }
}
