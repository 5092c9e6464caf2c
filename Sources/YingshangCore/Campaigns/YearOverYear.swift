/// Next year's campaign from this year's, and two campaigns' scores side by side.
public enum YearOverYear {
    /// The same calendar date `years` later; 29 February becomes 28 February in a common year (as Python's
    /// `dateutil.relativedelta(years=…)` does).
    public static func shift(_ day: Day, years: Int) -> Day {
        let y = day.year + years
        let d = min(day.day, Day.daysInMonth(year: y, month: day.month))
        return Day(year: y, month: day.month, day: d) ?? day
    }

    public static func shift(_ phases: [PhaseSpan], years: Int) -> [PhaseSpan] {
        phases.map { PhaseSpan(kind: $0.kind, start: shift($0.start, years: years), end: shift($0.end, years: years)) }
    }

    /// "2022 年度青山县营商环境评价" → "2023 年度青山县营商环境评价": every occurrence of the old year as a whole
    /// number is replaced; a name without it gets the new year in front.
    public static func carriedName(_ name: String, from: Int, to: Int) -> String {
        let old = String(from)
        var out = ""
        var digits = ""
        var replaced = false
        func flush() {
            if digits == old {
                out += String(to)
                replaced = true
            } else {
                out += digits
            }
            digits = ""
        }
        for ch in name {
            if ch.isASCII && ch.isNumber { digits.append(ch) } else {
                flush()
                out.append(ch)
            }
        }
        flush()
        return replaced ? out : "\(to) 年度\(name)"
    }

    /// One indicator in both campaigns (or in one of them).
    public struct Line: Equatable, Sendable {
        public let code: String
        public let name: String
        public let current: Double?
        public let previous: Double?
        /// current − previous, when both were scored.
        public let change: Double?
        public let currentRank: Int?
        public let previousRank: Int?
        /// Whether every sub-indicator was scored against the same best and worst values in both years. Scores by
        /// distance to frontier are relative to the frontier of their run: when it moved, a change in score is not
        /// only a change in performance. nil when the indicator is missing from one campaign.
        public let sameFrontier: Bool?
    }

    public struct Comparison: Equatable, Sendable {
        public let lines: [Line]
        public let overallCurrent: Double?
        public let overallPrevious: Double?
        public let overallChange: Double?
        public let rankCurrent: Int?
        public let rankPrevious: Int?
        /// Both overall scores average the same indicators; otherwise their difference mixes in the change of set.
        public let sameIndicators: Bool
    }

    /// Lines in the current campaign's indicator order, then indicators only the previous campaign had.
    public static func compare(current: RegionScore, previous: RegionScore) -> Comparison {
        var lines: [Line] = []
        for c in current.indicators {
            let p = previous.indicator(c.code)
            lines.append(
                Line(
                    code: c.code, name: c.nameZh, current: c.score, previous: p?.score,
                    change: c.score.flatMap { cs in p?.score.map { cs - $0 } }, currentRank: c.rank, previousRank: p?.rank,
                    sameFrontier: p.map { sameFrontier(c, $0) }))
        }
        for p in previous.indicators where current.indicator(p.code) == nil {
            lines.append(
                Line(
                    code: p.code, name: p.nameZh, current: nil, previous: p.score, change: nil, currentRank: nil,
                    previousRank: p.rank, sameFrontier: nil))
        }
        let scoredNow = Set(current.indicators.filter(\.isScored).map(\.code))
        let scoredThen = Set(previous.indicators.filter(\.isScored).map(\.code))
        return Comparison(
            lines: lines, overallCurrent: current.overall, overallPrevious: previous.overall,
            overallChange: current.overall.flatMap { c in previous.overall.map { c - $0 } },
            rankCurrent: current.rank, rankPrevious: previous.rank, sameIndicators: scoredNow == scoredThen)
    }

    static func sameFrontier(_ a: IndicatorScore, _ b: IndicatorScore) -> Bool {
        let bounds = { (i: IndicatorScore) in
            Dictionary(i.subScores.map { ($0.code, [$0.best, $0.worst]) }, uniquingKeysWith: { x, _ in x })
        }
        return bounds(a) == bounds(b)
    }
}
