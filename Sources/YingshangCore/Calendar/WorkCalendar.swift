import Foundation

/// Working days in mainland China: Monday–Friday, minus public holidays, plus 调休 make-up workdays
/// (weekend days declared working days). Holidays and make-up days come from the State Council's notices
/// (`OfficialHolidays`, seeded for 2019 onwards) and stay editable by the bureau.
///
/// A computation that touches a year the calendar does not cover throws `MissingYear`: counting such a year as
/// Monday–Friday would silently get every deadline around Spring Festival and National Day wrong.
public struct WorkCalendar: Sendable, Equatable {
    public var holidays: Set<Day>
    public var makeUpWorkdays: Set<Day>
    /// The years whose arrangements are known. Nil only for calendars made in tests without a year list.
    public var years: Set<Int>?

    public init(holidays: Set<Day> = [], makeUpWorkdays: Set<Day> = [], years: Set<Int>? = nil) {
        self.holidays = holidays
        self.makeUpWorkdays = makeUpWorkdays
        self.years = years
    }

    public struct MissingYear: Error, Equatable, Sendable, CustomStringConvertible {
        public let year: Int
        public var description: String {
            "缺少 \(year) 年的节假日安排，无法按工作日计算。请管理员在“节假日日历”中录入 \(year) 年国务院办公厅通知的放假和调休日期"
        }
    }

    /// Throws for the first year between the two days that the calendar does not cover.
    public func requireYears(_ start: Day, _ end: Day) throws {
        guard let years else { return }
        for year in min(start.year, end.year)...max(start.year, end.year) where !years.contains(year) {
            throw MissingYear(year: year)
        }
    }

    public func isWorkday(_ d: Day) throws -> Bool {
        try requireYears(d, d)
        if makeUpWorkdays.contains(d) { return true }
        if holidays.contains(d) { return false }
        return !d.isWeekend
    }

    public func workdays(from start: Day, through end: Day) throws -> [Day] {
        guard start <= end else { return [] }
        try requireYears(start, end)
        return Day.range(start, end).filter { makeUpWorkdays.contains($0) || (!holidays.contains($0) && !$0.isWeekend) }
    }

    /// Working days strictly after `due` up to and including `today`: 0 when not late.
    public func workdaysLate(due: Day, today: Day) throws -> Int {
        guard today > due else { return 0 }
        return try workdays(from: due.adding(days: 1), through: today).count
    }
}

/// One line of the holiday list a coordinator enters: a date, whether it is a holiday or a 调休 workday, and a name.
public struct CalendarEntry: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case holiday
        case workday

        public var chineseName: String { self == .holiday ? "放假" : "调休上班" }
    }

    public let day: Day
    public let kind: Kind
    public let name: String

    public init(day: Day, kind: Kind, name: String) {
        self.day = day
        self.kind = kind
        self.name = name
    }

    /// Parses the textarea format, one entry per line: `2022-10-01 放假 国庆节` or `2022-10-08 上班 国庆调休`.
    /// Returns the entries, or problems naming the line.
    public static func parseList(_ text: String) -> (entries: [CalendarEntry], problems: [String]) {
        var entries: [CalendarEntry] = []
        var problems: [String] = []
        var seen = Set<Day>()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "，" })
                .map(String.init)
            guard parts.count >= 2, let day = Day(parts[0]) else {
                problems.append("第 \(index + 1) 行：应为“日期 放假|上班 名称”，如 2022-10-01 放假 国庆节")
                continue
            }
            let kind: Kind
            switch parts[1].lowercased() {
            case "放假", "休", "假", "holiday": kind = .holiday
            case "上班", "班", "调休上班", "workday": kind = .workday
            default:
                problems.append("第 \(index + 1) 行：类型“\(parts[1])”应为“放假”或“上班”")
                continue
            }
            if seen.contains(day) {
                problems.append("第 \(index + 1) 行：日期 \(day) 重复")
                continue
            }
            seen.insert(day)
            entries.append(CalendarEntry(day: day, kind: kind, name: parts.dropFirst(2).joined(separator: " ")))
        }
        return (entries.sorted { $0.day < $1.day }, problems)
    }

    /// The calendar of these entries; it covers exactly the years the entries fall in.
    public static func calendar(_ entries: [CalendarEntry]) -> WorkCalendar {
        WorkCalendar(
            holidays: Set(entries.filter { $0.kind == .holiday }.map(\.day)),
            makeUpWorkdays: Set(entries.filter { $0.kind == .workday }.map(\.day)),
            years: Set(entries.map(\.day.year)))
    }
}
