import Foundation

/// The application's one clock. Everything that asks "what time is it" or "what day is it today" asks this,
/// so a test (or a demo of a past campaign) can set today: `AppClock.fixed(…)` or `AppClock.system.shifted(to:)`.
/// Days are China days (Asia/Shanghai): times are stored in UTC and a county's day starts at its midnight.
public struct AppClock: Sendable {
    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) { self.now = now }

    public static let system = AppClock { Date() }

    /// Always the same instant.
    public static func fixed(_ date: Date) -> AppClock { AppClock { date } }

    /// Time runs as usual, but today is `day` (the offset is fixed when the clock is made).
    public func shifted(to day: Day) -> AppClock {
        let base = now()
        let offset = Self.noon(day).timeIntervalSince(Self.noon(Self.chinaDay(of: base)))
        let source = now
        return AppClock { source().addingTimeInterval(offset) }
    }

    /// Today in China.
    public var today: Day { Self.chinaDay(of: now()) }

    public static let chinaTimeZone: TimeZone = TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3600) ?? .current

    private static let chinaCalendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = chinaTimeZone
        return c
    }()

    /// The China day an instant falls on (the one place this is computed).
    public static func chinaDay(of date: Date) -> Day {
        let p = chinaCalendar.dateComponents([.year, .month, .day], from: date)
        return Day(year: p.year ?? 2000, month: p.month ?? 1, day: p.day ?? 1) ?? Day(ordinal: 0)
    }

    /// Noon of a China day, as an instant.
    public static func noon(_ day: Day) -> Date {
        let comps = DateComponents(year: day.year, month: day.month, day: day.day, hour: 12)
        return chinaCalendar.date(from: comps) ?? Date(timeIntervalSince1970: 0)
    }
}
