import Foundation

/// When a signed-in browser session ends (等保 2.0: 登录连接超时自动退出): after `idle` without a request, or
/// `absolute` after sign-in whatever the activity. API tokens have their own lifetime.
public struct SessionPolicy: Sendable, Equatable {
    public var idle: TimeInterval
    public var absolute: TimeInterval

    public static let standard = SessionPolicy(idle: 30 * 60, absolute: 12 * 3600)

    /// The last-seen time is written at most this often, so that a busy page does not write on every request.
    public static let touchInterval: TimeInterval = 60

    public init(idle: TimeInterval, absolute: TimeInterval) {
        self.idle = idle
        self.absolute = absolute
    }

    public func isExpired(startedAt: Date, lastSeen: Date, now: Date) -> Bool {
        now.timeIntervalSince(lastSeen) > idle || now.timeIntervalSince(startedAt) > absolute
    }

    public func needsTouch(lastSeen: Date, now: Date) -> Bool { now.timeIntervalSince(lastSeen) >= Self.touchInterval }

    /// Whether a stored session can be deleted: by its sign-in times (startedAt, seenAt) or, for a session that never
    /// signed in, by when it was made (createdAt), under the same limits. One with no time at all predates the
    /// timestamps and holds no sign-in; it goes too.
    public func isSweepable(_ data: [String: String], now: Date) -> Bool {
        func time(_ key: String) -> Date? { data[key].flatMap(Double.init).map(Date.init(timeIntervalSince1970:)) }
        guard let started = time("startedAt") ?? time("createdAt") else { return true }
        return isExpired(startedAt: started, lastSeen: time("seenAt") ?? started, now: now)
    }
}
