import Foundation

/// 常态化监测: between annual evaluations a campaign runs filing rounds, monthly or quarterly, each reporting on a
/// period that has ended, with its own filing window and indicator subset. A round is scored like a campaign; the
/// rounds' scores side by side are the trend.
public enum MonitoringPeriod: String, CaseIterable, Codable, Sendable {
    case monthly, quarterly

    public var chineseName: String { self == .monthly ? "月度" : "季度" }
    public var roundsPerYear: Int { self == .monthly ? 12 : 4 }

    /// Default working days of filing, verification and report after the period ends: a month's round is lighter.
    var defaultWorkdays: (filing: Int, verification: Int, report: Int) { self == .monthly ? (5, 3, 2) : (10, 5, 5) }
}

/// One round's dates. The campaign's four phases are reused: 前期培训 is the monitored period itself (shown as
/// 监测期), then filing, verification and report follow in working days.
public struct MonitoringRoundPlan: Equatable, Sendable {
    public let period: MonitoringPeriod
    public let year: Int
    public let number: Int
    public let label: String
    public let periodStart: Day
    public let periodEnd: Day
    public let phases: [PhaseSpan]

    public var start: Day { periodStart }
    public var end: Day { phases.last?.end ?? periodEnd }
    public var filing: PhaseSpan? { phases.first { $0.kind == .filing } }
}

public enum MonitoringRounds {
    /// "2026年第1季度", "2026年3月".
    public static func label(_ period: MonitoringPeriod, year: Int, number: Int) -> String {
        period == .quarterly ? "\(year)年第\(number)季度" : "\(year)年\(number)月"
    }

    /// The latest period that has ended before `today` (what a new round proposes): in January, last year's
    /// fourth quarter or December.
    public static func lastEnded(_ period: MonitoringPeriod, before today: Day) -> (year: Int, number: Int) {
        let current = period == .quarterly ? (today.month - 1) / 3 + 1 : today.month
        return current == 1 ? (today.year - 1, period.roundsPerYear) : (today.year, current - 1)
    }

    /// The calendar days the round reports on; nil for a number outside the year.
    public static func span(_ period: MonitoringPeriod, year: Int, number: Int) -> (start: Day, end: Day)? {
        guard (1...period.roundsPerYear).contains(number) else { return nil }
        let firstMonth = period == .quarterly ? (number - 1) * 3 + 1 : number
        let lastMonth = period == .quarterly ? firstMonth + 2 : number
        guard let s = Day(year: year, month: firstMonth, day: 1),
            let e = Day(year: year, month: lastMonth, day: Day.daysInMonth(year: year, month: lastMonth))
        else { return nil }
        return (s, e)
    }

    /// The round's dates. Filing defaults to the first working days after the period (10 for a quarter, 5 for a
    /// month); a window given instead must start after the period has ended. Verification and report follow the
    /// filing window's last day. Throws `WorkCalendar.MissingYear` when a year's holidays are not known.
    public static func plan(
        _ period: MonitoringPeriod, year: Int, number: Int, calendar: WorkCalendar, filingStart: Day? = nil, filingEnd: Day? = nil
    ) throws -> Result<MonitoringRoundPlan, FieldProblems> {
        var problems: [FieldProblem] = []
        guard (2000...2100).contains(year) else {
            return .failure(FieldProblems([.init(field: "year", message: "监测年度应为 2000–2100 的年份")]))
        }
        guard let (ps, pe) = span(period, year: year, number: number) else {
            return .failure(FieldProblems([.init(field: "number", message: "\(period.chineseName)监测的轮次应为 1–\(period.roundsPerYear)")]))
        }
        let days = period.defaultWorkdays
        let filing: (Day, Day)
        switch (filingStart, filingEnd) {
        case (nil, nil):
            let s = try nextWorkdays(after: pe, count: 1, calendar: calendar)[0]
            filing = (s, try nextWorkdays(after: s, count: days.filing - 1, calendar: calendar).last ?? s)
        case let (s?, e?):
            if s <= pe { problems.append(.init(field: "filingStart", message: "填报开始日期应晚于监测期末（\(pe)）：监测轮次填报的是已结束时段的数据")) }
            if e < s { problems.append(.init(field: "filingEnd", message: "填报截止日期不能早于开始日期")) }
            if e.ordinal - s.ordinal > 92 { problems.append(.init(field: "filingEnd", message: "填报窗口不超过 92 天")) }
            filing = (s, e)
        default:
            problems.append(.init(field: filingStart == nil ? "filingStart" : "filingEnd", message: "填报起止日期须同时填写，或都留空使用默认窗口"))
            filing = (pe, pe)
        }
        if !problems.isEmpty { return .failure(FieldProblems(problems)) }
        let verification = try nextWorkdays(after: filing.1, count: days.verification, calendar: calendar)
        let report = try nextWorkdays(after: verification.last ?? filing.1, count: days.report, calendar: calendar)
        let phases = [
            PhaseSpan(kind: .training, start: ps, end: pe),
            PhaseSpan(kind: .filing, start: filing.0, end: filing.1),
            PhaseSpan(kind: .verification, start: verification[0], end: verification[verification.count - 1]),
            PhaseSpan(kind: .report, start: report[0], end: report[report.count - 1]),
        ]
        return .success(
            MonitoringRoundPlan(
                period: period, year: year, number: number, label: label(period, year: year, number: number),
                periodStart: ps, periodEnd: pe, phases: phases))
    }

    /// The first `count` working days strictly after `day` (count ≥ 1; 0 gives none).
    static func nextWorkdays(after day: Day, count: Int, calendar: WorkCalendar) throws -> [Day] {
        var out: [Day] = []
        var d = day
        while out.count < count {
            d = d.adding(days: 1)
            if try calendar.isWorkday(d) { out.append(d) }
        }
        return out
    }
}

/// Field problems as one error value, for `Result`.
public struct FieldProblems: Error, Equatable, Sendable {
    public let problems: [FieldProblem]
    public init(_ problems: [FieldProblem]) { self.problems = problems }
}

/// Scores of the same indicators across monitoring rounds, in round order, per assessed region.
public enum RoundTrend {
    public struct Round: Sendable {
        public let label: String
        /// The round's latest scoring run; nil while it is not scored.
        public let result: ScoringResult?

        public init(label: String, result: ScoringResult?) {
            self.label = label
            self.result = result
        }
    }

    public struct Line: Equatable, Sendable {
        public let regionID: String
        public let regionName: String
        /// One per round; nil where the round has no score for it (not scored, not in its subset, not filed).
        public let values: [Double?]
    }

    public struct Series: Equatable, Sendable {
        public let code: String
        public let name: String
        public let lines: [Line]
    }

    public struct Trend: Equatable, Sendable {
        public let labels: [String]
        public let overall: [Line]
        public let indicators: [Series]
        /// Rounds covering different indicator subsets: their overall scores do not measure the same thing.
        public let subsetsDiffer: Bool
    }

    /// `indicators` gives the order and names (the parent campaign's indicators); regions in order of first
    /// appearance across the rounds. Benchmarks are left out.
    public static func build(_ rounds: [Round], indicators: [(code: String, name: String)]) -> Trend {
        var regions: [(id: String, name: String)] = []
        for r in rounds {
            for s in r.result?.assessed ?? [] where !regions.contains(where: { $0.id == s.id }) { regions.append((s.id, s.name)) }
        }
        func line(_ region: (id: String, name: String), _ value: (RegionScore) -> Double?) -> Line {
            Line(regionID: region.id, regionName: region.name, values: rounds.map { $0.result?.region(region.id).flatMap(value) })
        }
        let overall = regions.map { line($0) { $0.overall } }
        let series = indicators.compactMap { ind -> Series? in
            let lines = regions.map { line($0) { $0.indicator(ind.code)?.score } }
            guard lines.contains(where: { $0.values.contains { $0 != nil } }) else { return nil }
            return Series(code: ind.code, name: ind.name, lines: lines)
        }
        let subsets = Set(rounds.compactMap { r in r.result.map { res in res.assessed.first?.indicators.map(\.code) ?? [] } })
        return Trend(labels: rounds.map(\.label), overall: overall, indicators: series, subsetsDiffer: subsets.count > 1)
    }
}

extension MonitoringRounds {
    /// How a unit stands in a running round: before the window, filing (with the deadline), overdue, or done.
    public static func unitStatus(filing: PhaseSpan, today: Day, owed: Int) -> (label: String, urgent: Bool) {
        if owed == 0 { return ("已全部报送", false) }
        if today < filing.start { return ("\(filing.start) 开始填报", false) }
        if today > filing.end { return ("已过截止日期（\(filing.end)），\(owed) 项未报送", true) }
        return ("填报中，\(filing.end) 截止，\(owed) 项未报送", today.ordinal >= filing.end.ordinal - 2)
    }
}
