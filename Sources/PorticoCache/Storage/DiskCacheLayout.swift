import Crypto

/// Where the disk store keeps an entry: `<directory>/ab/cd/abcd…` where `abcd…` is the
/// lower-case hex SHA-256 of `primaryKey + "\u{0}" + variantKey` (nginx's
/// `levels=2:2`: two levels of 256 directories keep each directory small even with
/// millions of entries, and a hash gives fixed-length names whatever the URL holds).
///
/// A file being written is `<same directory>/.tmp-<name>-<pid>-<n>` until it is
/// renamed into place, so a reader never sees a partial entry.
struct DiskCacheLayout: Sendable {
    static let temporaryPrefix = ".tmp-"
    /// Temp files older than this at start are a crashed writer's leftovers (younger
    /// ones may be another process's write in progress during a hot upgrade).
    static let staleTemporaryFileSeconds = 60.0

    let directory: String

    /// The file name (64 hex digits) for one variant.
    static func fileName(primaryKey: String, variantKey: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(primaryKey.utf8))
        hasher.update(data: [0])
        hasher.update(data: Array(variantKey.utf8))
        let hexDigits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in hasher.finalize() {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// Whether `name` is shaped like one of our entry files (64 lower-case hex digits).
    static func isEntryFileName(_ name: String) -> Bool {
        name.utf8.count == 64 && name.utf8.allSatisfy(Self.isLowerHex)
    }

    /// Whether `name` is one of the two-hex-digit level directories.
    static func isLevelName(_ name: String) -> Bool {
        name.utf8.count == 2 && name.utf8.allSatisfy(Self.isLowerHex)
    }

    func subdirectory(ofFile fileName: String) -> String {
        let utf8 = Array(fileName.utf8)
        return self.directory + "/" + String(decoding: utf8[0..<2], as: UTF8.self) + "/"
            + String(decoding: utf8[2..<4], as: UTF8.self)
    }

    func path(ofFile fileName: String) -> String {
        self.subdirectory(ofFile: fileName) + "/" + fileName
    }

    func temporaryPath(ofFile fileName: String, processID: Int32, sequence: UInt64) -> String {
        self.subdirectory(ofFile: fileName) + "/" + Self.temporaryPrefix + fileName + "-\(processID)-\(sequence)"
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66)
    }
}
