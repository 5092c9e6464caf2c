/// The day-by-day filing plan: N indicators per working day inside the filing phase ("每天2个指标"),
/// skipping weekends and holidays, with hand-fixed dates respected.
public enum FilingSchedule {
    public struct Entry: Equatable, Sendable, Codable {
        public let indicatorCode: String
        public let day: Day
        public let fixed: Bool

        public init(indicatorCode: String, day: Day, fixed: Bool) {
            self.indicatorCode = indicatorCode
            self.day = day
            self.fixed = fixed
        }
    }

    public enum Problem: Error, Equatable, Sendable {
        case perDayNotPositive
        case emptyWindow
        case fixedOutsideWindow(code: String, day: Day)
        case unknownFixedIndicator(String)
        case notEnoughWorkdays(needed: Int, available: Int)
        case calendarMissing(year: Int)

        public var field: String {
            switch self {
            case .perDayNotPositive: return "perDay"
            case .emptyWindow: return "filingPhase"
            case .fixedOutsideWindow, .unknownFixedIndicator: return "fixed"
            case .notEnoughWorkdays: return "filingPhase"
            case .calendarMissing: return "filingPhase"
            }
        }

        public var message: String {
            switch self {
            case .perDayNotPositive: return "每天填报指标数应为 1–20 的整数"
            case .emptyWindow: return "数据填报阶段没有可用的工作日，请检查阶段日期和节假日"
            case .calendarMissing(let year): return WorkCalendar.MissingYear(year: year).description
            case .fixedOutsideWindow(let code, let day):
                return "指标 \(code) 的固定日期 \(day) 不在数据填报阶段内"
            case .unknownFixedIndicator(let code): return "固定日期中的指标 \(code) 不在本次评价的指标中"
            case .notEnoughWorkdays(let needed, let available):
                return "数据填报阶段内的工作日不足：按每天指标数需要 \(needed) 个工作日，只有 \(available) 个"
            }
        }
    }

    /// How many indicators may be due on one working day.
    public static let perDayRange = 1...20

    /// Plans `indicators` (in order) from `start` through `end`. Fixed indicators keep their day (even if it
    /// exceeds that day's quota); the rest fill the remaining slots of each working day in order.
    public static func generate(
        indicators: [String], start: Day, end: Day, perDay: Int, calendar: WorkCalendar, fixed: [String: Day] = [:]
    ) -> Result<[Entry], Problem> {
        guard perDayRange.contains(perDay) else { return .failure(.perDayNotPositive) }
        let known = Set(indicators)
        for code in fixed.keys.sorted() {
            guard known.contains(code) else { return .failure(.unknownFixedIndicator(code)) }
            if let day = fixed[code], day < start || day > end { return .failure(.fixedOutsideWindow(code: code, day: day)) }
        }
        let workdays: [Day]
        do {
            workdays = try calendar.workdays(from: start, through: end)
        } catch let missing as WorkCalendar.MissingYear {
            return .failure(.calendarMissing(year: missing.year))
        } catch {
            return .failure(.emptyWindow)
        }
        if workdays.isEmpty && fixed.count < indicators.count { return .failure(.emptyWindow) }

        var usedOnDay: [Day: Int] = [:]
        var entries: [Entry] = []
        for code in indicators {
            if let day = fixed[code] {
                entries.append(Entry(indicatorCode: code, day: day, fixed: true))
                usedOnDay[day, default: 0] += 1
            }
        }
        let remaining = indicators.filter { fixed[$0] == nil }
        var slots: [Day] = []
        for day in workdays {
            let free = max(0, perDay - (usedOnDay[day] ?? 0))
            slots.append(contentsOf: Array(repeating: day, count: free))
        }
        guard slots.count >= remaining.count else {
            let needed = (indicators.count + perDay - 1) / perDay
            return .failure(.notEnoughWorkdays(needed: needed, available: workdays.count))
        }
        for (code, day) in zip(remaining, slots) {
            entries.append(Entry(indicatorCode: code, day: day, fixed: false))
        }
        let order = Dictionary(uniqueKeysWithValues: indicators.enumerated().map { ($1, $0) })
        return .success(entries.sorted { ($0.day, order[$0.indicatorCode] ?? 0) < ($1.day, order[$1.indicatorCode] ?? 0) })
    }
}

extension FilingSchedule {
    /// Working days a filing was (or still is) late: from its scheduled day to its first hand-in, or, while not handed
    /// in, to today capped at the campaign's last day (a finished campaign stops counting).
    public static func lateWorkdays(due: Day, firstHandedIn: Day?, today: Day, campaignEnd: Day, calendar: WorkCalendar) throws -> Int {
        try calendar.workdaysLate(due: due, today: firstHandedIn ?? min(today, campaignEnd))
    }
}

