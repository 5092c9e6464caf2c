import Foundation

/// Working days in mainland China: Monday–Friday, minus public holidays, plus 调休 make-up workdays
/// (weekend days declared working days). Holidays and make-up days are entered per year by the bureau.
public struct WorkCalendar: Sendable, Equatable {
    public var holidays: Set<Day>
    public var makeUpWorkdays: Set<Day>

    public init(holidays: Set<Day> = [], makeUpWorkdays: Set<Day> = []) {
        self.holidays = holidays
        self.makeUpWorkdays = makeUpWorkdays
    }

    public func isWorkday(_ d: Day) -> Bool {
        if makeUpWorkdays.contains(d) { return true }
        if holidays.contains(d) { return false }
        return !d.isWeekend
    }

    public func workdays(from start: Day, through end: Day) -> [Day] {
        Day.range(start, end).filter(isWorkday)
    }

    /// Working days strictly after `due` up to and including `today`: 0 when not late.
    public func workdaysLate(due: Day, today: Day) -> Int {
        guard today > due else { return 0 }
        return workdays(from: due.adding(days: 1), through: today).count
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

    public static func calendar(_ entries: [CalendarEntry]) -> WorkCalendar {
        WorkCalendar(
            holidays: Set(entries.filter { $0.kind == .holiday }.map(\.day)),
            makeUpWorkdays: Set(entries.filter { $0.kind == .workday }.map(\.day)))
    }
}
