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

/// What the security administrator sets (等保 2.0 身份鉴别, 访问控制): session idle and absolute lifetime, and the
/// login lockout. Bounds keep a mistaken value from switching protection off.
public struct SecurityPolicy: Sendable, Equatable, Codable {
    public var idleMinutes: Int
    public var maxSessionHours: Int
    public var maxFailures: Int
    public var lockMinutes: Int

    public static let standard = SecurityPolicy(
        idleMinutes: Int(SessionPolicy.standard.idle / 60), maxSessionHours: Int(SessionPolicy.standard.absolute / 3600),
        maxFailures: LoginLockout.maxFailures, lockMinutes: Int(LoginLockout.lockDuration / 60))

    public static let idleRange = 5...120
    public static let maxSessionRange = 1...24
    public static let maxFailuresRange = 3...10
    public static let lockRange = 5...1440

    public init(idleMinutes: Int, maxSessionHours: Int, maxFailures: Int, lockMinutes: Int) {
        self.idleMinutes = idleMinutes
        self.maxSessionHours = maxSessionHours
        self.maxFailures = maxFailures
        self.lockMinutes = lockMinutes
    }

    public var session: SessionPolicy { SessionPolicy(idle: TimeInterval(idleMinutes * 60), absolute: TimeInterval(maxSessionHours * 3600)) }
    public var lockDuration: TimeInterval { TimeInterval(lockMinutes * 60) }

    /// Field → Chinese problem.
    public var problems: [String: String] {
        var out: [String: String] = [:]
        func check(_ field: String, _ value: Int, _ range: ClosedRange<Int>, _ what: String) {
            if !range.contains(value) { out[field] = "\(what)应在 \(range.lowerBound)–\(range.upperBound) 之间" }
        }
        check("idleMinutes", idleMinutes, Self.idleRange, "无操作自动退出时间（分钟）")
        check("maxSessionHours", maxSessionHours, Self.maxSessionRange, "登录最长有效时间（小时）")
        check("maxFailures", maxFailures, Self.maxFailuresRange, "连续密码错误次数")
        check("lockMinutes", lockMinutes, Self.lockRange, "锁定时长（分钟）")
        return out
    }
}
