import Foundation

/// Time rules of verification flags and of the evaluation period.
public enum FlagRules {
    /// Units get five working days to answer a flag (the speech's 5-working-day rule for verification questions).
    public static let responseWorkdays = 5

    /// The last day a unit may answer a flag raised on `raised`: five working days later, by the work calendar.
    public static func responseDeadline(raisedOn raised: Day, calendar: WorkCalendar) throws -> Day {
        var d = raised
        var left = responseWorkdays
        while left > 0 {
            d = d.adding(days: 1)
            if try calendar.isWorkday(d) { left -= 1 }
        }
        return d
    }

    /// The end of the evaluation period (评价周期截止日): the day before the filing phase starts, or, without one,
    /// 30 September of the campaign's year (the period runs 1 October of the year before to 30 September).
    /// Policy documents issued after it do not count for this evaluation.
    public static func evaluationCutoff(filingPhaseStart: Day?, campaignYear: Int) -> Day? {
        if let start = filingPhaseStart { return start.adding(days: -1) }
        return Day(year: campaignYear, month: 9, day: 30)
    }
}
