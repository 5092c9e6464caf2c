import Foundation
import NIOConcurrencyHelpers
import Vapor

/// A small per-instance cache whose entries live for `ttl` seconds — for pages that many anonymous visitors open and
/// that change rarely. Another instance sees a change within `ttl`; this instance can `removeAll()` at once.
/// A lock, not an actor: a hit is a dictionary read on the request's thread, without a hop to another executor.
final class ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let ttl: TimeInterval
    private let capacity: Int
    private let entries = NIOLockedValueBox<[Key: (value: Value, at: Date)]>([:])

    init(ttl: TimeInterval, capacity: Int = 256) {
        self.ttl = ttl
        self.capacity = capacity
    }

    func get(_ key: Key, now: Date) -> Value? {
        guard let e = entries.withLockedValue({ $0[key] }), now >= e.at, now.timeIntervalSince(e.at) < ttl else { return nil }
        return e.value
    }

    func put(_ key: Key, _ value: Value, now: Date) {
        entries.withLockedValue { entries in
            if entries.count >= capacity { entries.removeAll() }
            entries[key] = (value, now)
        }
    }

    func removeAll() { entries.withLockedValue { $0.removeAll() } }
}

/// The caches of anonymous pages, made once in `configure` (never lazily from concurrent requests).
struct PageCaches: Sendable {
    /// Survey pages without answers typed, per template, draw and state, to be filled per visit.
    let surveyPages = ExpiringCache<SurveyPageKey, PageSkeleton>(ttl: 60)
    /// The unfiltered `/public` page; emptied by every library change on this instance.
    let publicIndex = ExpiringCache<String, ByteBuffer>(ttl: 10, capacity: 4)
    /// Who publishes `/public` (changes only when units move).
    let publisher = ExpiringCache<String, String>(ttl: 60, capacity: 1)

    /// Home page counts per account, keyed by the audit revision (`AuditLog.revision`) and the day; kept at most 30 s
    /// for what moves without an audited change (a lockout running out).
    let home = ExpiringCache<HomeController.SummaryKey, HomeController.Summary>(ttl: 30, capacity: 2048)
    /// Rendered home pages under the same key plus the unread count and language, filled per view.
    let homePages = ExpiringCache<HomeController.PageKey, PageSkeleton>(ttl: 30, capacity: 2048)

    struct SurveyPageKey: Hashable, Sendable {
        let template: UUID
        let draw: UUID
        let state: SurveyPageState
    }

    struct Key: StorageKey { typealias Value = PageCaches }
}

extension Application {
    var pageCaches: PageCaches {
        guard let c = storage[PageCaches.Key.self] else {
            // configure() sets it; a bare Application in a unit test gets a fresh one per use.
            return PageCaches()
        }
        return c
    }
}
