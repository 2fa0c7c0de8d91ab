import Crypto
import Synchronization

/// Counters of a ``BasicAuthVerifier`` (for metrics and tests).
public struct BasicAuthCacheStatistics: Sendable, Equatable {
    /// `cachedResult` / `verifyAndCache` calls answered from the cache.
    public var hits: Int = 0
    /// `cachedResult` calls that found nothing usable (the caller must verify).
    public var misses: Int = 0
    /// Full password-hash computations performed by `verifyAndCache`.
    public var verifications: Int = 0
    /// Entries currently held.
    public var entries: Int = 0
}

/// HTTP Basic verification against an ``HtpasswdFile`` with a small result cache, so that a
/// keep-alive client repeating the same `Authorization` header does not pay bcrypt on every
/// request.
///
/// Usage from the data path:
/// ```
/// switch verifier.cachedResult(authorizationValue: value) {
/// case .some(let ok): ...                       // on the event loop, microseconds
/// case .none: threadPool.runIfActive { verifier.verifyAndCache(authorizationValue: value) }
/// }
/// ```
///
/// The cache maps SHA-256(`user` NUL `password` NUL `hash-field`) to the outcome; neither the
/// password nor the header is stored. Including the stored hash means an entry stops
/// matching as soon as the user's hash changes or the user disappears. Entries expire after
/// `timeToLive`; the table never holds more than `maximumEntries`. Failed checks are cached
/// too (a client retrying the same wrong password costs one hash per TTL), but a failure
/// never evicts a success: when the table is full, failures are simply not recorded, so
/// an attacker spraying wrong passwords cannot push legitimate users out of the cache.
public final class BasicAuthVerifier: Sendable {
    struct CacheEntry {
        var verified: Bool
        var expires: ContinuousClock.Instant
    }

    struct State {
        var file: HtpasswdFile
        var entries: [SHA256Digest: CacheEntry] = [:]
        var statistics = BasicAuthCacheStatistics()
    }

    private let state: Mutex<State>
    public let maximumEntries: Int
    public let timeToLive: Duration
    private let now: @Sendable () -> ContinuousClock.Instant

    /// - Parameters:
    ///   - maximumEntries: Bound on cached outcomes (each ≈ 100 bytes).
    ///   - timeToLive: How long an outcome is reused. A password removed from the file stops
    ///     working at once (the key includes the hash); this bounds only how long a *result*
    ///     is trusted without recomputation.
    public convenience init(file: HtpasswdFile, maximumEntries: Int = 1024, timeToLive: Duration = .seconds(300)) {
        self.init(file: file, maximumEntries: maximumEntries, timeToLive: timeToLive, now: { ContinuousClock.now })
    }

    init(
        file: HtpasswdFile, maximumEntries: Int, timeToLive: Duration,
        now: @escaping @Sendable () -> ContinuousClock.Instant
    ) {
        precondition(maximumEntries >= 0, "maximumEntries must not be negative")
        self.state = Mutex(State(file: file))
        self.maximumEntries = maximumEntries
        self.timeToLive = timeToLive
        self.now = now
    }

    /// The current user file.
    public var file: HtpasswdFile { state.withLock { $0.file } }

    /// Replaces the user file (configuration reload) and empties the cache.
    public func replace(file: HtpasswdFile) {
        state.withLock { state in
            state.file = file
            state.entries.removeAll()
            state.statistics.entries = 0
        }
    }

    public var statistics: BasicAuthCacheStatistics { state.withLock { $0.statistics } }

    /// Cheap check suitable for the event loop: `false` for a value that is not valid Basic
    /// credentials (no hashing needed to refuse it), the cached outcome when there is one,
    /// and nil when the password must be verified (call ``verifyAndCache(authorizationValue:)``
    /// off the event loop). Unknown users also yield nil, so they cost the same as known ones.
    public func cachedResult(authorizationValue: Substring) -> Bool? {
        guard let credentials = BasicCredentials.parse(authorizationValue: authorizationValue) else { return false }
        let file = self.file
        let key = Self.cacheKey(user: credentials.user, password: credentials.password, hash: file.hashText(for: credentials.user))
        let instant = now()
        return state.withLock { state in
            if let entry = state.entries[key], entry.expires > instant {
                state.statistics.hits += 1
                return entry.verified
            }
            state.statistics.misses += 1
            return nil
        }
    }

    /// Verifies the credentials (one full password hash unless another thread cached the
    /// outcome meanwhile) and records the outcome. Blocking and CPU-bound: run it on a
    /// thread pool, not on an event loop.
    public func verifyAndCache(authorizationValue: Substring) -> Bool {
        guard let credentials = BasicCredentials.parse(authorizationValue: authorizationValue) else { return false }
        let file = self.file
        let key = Self.cacheKey(user: credentials.user, password: credentials.password, hash: file.hashText(for: credentials.user))
        let cached: Bool? = state.withLock { state in
            guard let entry = state.entries[key], entry.expires > now() else { return nil }
            state.statistics.hits += 1
            return entry.verified
        }
        if let cached { return cached }

        let verified = file.verify(user: credentials.user, password: credentials.password)
        let instant = now()
        state.withLock { state in
            state.statistics.verifications += 1
            // A reload may have swapped the file while we hashed; don't cache against it.
            guard state.file.hashText(for: credentials.user) == file.hashText(for: credentials.user) else { return }
            Self.insert(key: key, verified: verified, now: instant, into: &state, capacity: maximumEntries, ttl: timeToLive)
        }
        return verified
    }

    private static func insert(
        key: SHA256Digest, verified: Bool, now: ContinuousClock.Instant,
        into state: inout State, capacity: Int, ttl: Duration
    ) {
        guard capacity > 0 else { return }
        if state.entries[key] == nil, state.entries.count >= capacity {
            state.entries = state.entries.filter { $0.value.expires > now }
            if state.entries.count >= capacity {
                // Failures never displace anything. A success displaces a failure if there is
                // one, otherwise the success closest to expiry.
                guard verified else {
                    state.statistics.entries = state.entries.count
                    return
                }
                let victim =
                    state.entries.first(where: { !$0.value.verified })?.key
                    ?? state.entries.min(by: { $0.value.expires < $1.value.expires })?.key
                if let victim { state.entries.removeValue(forKey: victim) }
            }
        }
        state.entries[key] = CacheEntry(verified: verified, expires: now + ttl)
        state.statistics.entries = state.entries.count
    }

    static func cacheKey(user: String, password: String, hash: String?) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(data: Array(user.utf8))
        hasher.update(data: [0])
        hasher.update(data: Array(password.utf8))
        hasher.update(data: [0])
        hasher.update(data: Array((hash ?? "").utf8))
        return hasher.finalize()
    }
}
