import Foundation
import Testing
@testable import YingshangCore

/// The shipped calendars against the notices. Each year's total is derived by hand from its notice (weekdays of
/// the year, minus holidays falling on weekdays, plus make-up Saturdays/Sundays), written out below, so a wrong
/// transcription of a single day changes a total and fails.
@Suite("State Council holiday calendars")
struct OfficialHolidaysTests {
    static let calendar = CalendarEntry.calendar(OfficialHolidays.notices.flatMap(\.entries))

    @Test("working days per year equal the totals the notices imply", arguments: [
        // year, weekdays, holidays on weekdays, make-up days, total
        (2019, 261, 17, 6, 250),  // 元旦1 春节5 清明1 劳动3 端午1 中秋1 国庆5; 调休 2/2 2/3 4/28 5/5 9/29 10/12
        (2023, 260, 18, 7, 249),  // 元旦1 春节5 清明1 劳动3 端午2 中秋国庆6; 调休 1/28 1/29 4/23 5/6 6/25 10/7 10/8
        (2024, 262, 19, 8, 251),  // 元旦1 春节5 清明2 劳动3 端午1 中秋2 国庆5; 调休 2/4 2/18 4/7 4/28 5/11 9/14 9/29 10/12
        (2025, 261, 18, 5, 248),  // 元旦1 春节6 清明1 劳动3 端午1 国庆中秋6; 调休 1/26 2/8 4/27 9/28 10/11
        (2026, 261, 19, 6, 248),  // 元旦2 春节6 清明1 劳动3 端午1 中秋1 国庆5; 调休 1/4 2/14 2/28 5/9 9/20 10/10
    ])
    func totals(year: Int, weekdays: Int, holidaysOnWeekdays: Int, makeUp: Int, total: Int) throws {
        let first = try #require(Day(year: year, month: 1, day: 1))
        let last = try #require(Day(year: year, month: 12, day: 31))
        #expect(Day.range(first, last).filter { !$0.isWeekend }.count == weekdays)
        let notice = try #require(OfficialHolidays.notice(year: year))
        #expect(notice.entries.filter { $0.kind == .holiday && !$0.day.isWeekend }.count == holidaysOnWeekdays)
        #expect(notice.entries.filter { $0.kind == .workday }.count == makeUp)
        #expect(try Self.calendar.workdays(from: first, through: last).count == weekdays - holidaysOnWeekdays + makeUp)
        #expect(weekdays - holidaysOnWeekdays + makeUp == total)
    }

    @Test("every make-up workday is a Saturday or Sunday, every year from 2019 to 2026 is covered, each with its source")
    func shape() {
        #expect(OfficialHolidays.years == Array(2019...2026))
        for notice in OfficialHolidays.notices {
            let makeUp = notice.entries.filter { $0.kind == .workday }
            #expect(!makeUp.isEmpty && makeUp.allSatisfy { $0.day.isWeekend }, "\(notice.year)")
            #expect(!notice.entries.isEmpty && notice.entries.allSatisfy { $0.day.year == notice.year })
            #expect(!notice.source.isEmpty)
        }
        #expect(OfficialHolidays.notice(year: 2025)?.source == "国办发明电〔2024〕12号")
        // Every notice names its document number, not only its title.
        #expect(OfficialHolidays.notices.allSatisfy { $0.source.contains("国办发明电〔") }, "\(OfficialHolidays.notices.map(\.source))")
    }

    @Test("2023 Spring Festival: 21–27 January off, Saturday 28 and Sunday 29 worked")
    func springFestival2023() throws {
        let days = try Self.calendar.workdays(from: try #require(Day("2023-01-21")), through: try #require(Day("2023-01-31")))
        #expect(days.map(\.description) == ["2023-01-28", "2023-01-29", "2023-01-30", "2023-01-31"])
        // A response due on Friday 20 January and handed in on Monday 30 January is 3 working days late (28, 29, 30).
        #expect(try Self.calendar.workdaysLate(due: try #require(Day("2023-01-20")), today: try #require(Day("2023-01-30"))) == 3)
    }

    @Test("a computation touching a year that is not covered is refused, naming the year")
    func missingYear() throws {
        let start = try #require(Day("2026-12-28"))
        let end = try #require(Day("2027-01-05"))
        #expect(throws: WorkCalendar.MissingYear(year: 2027)) { try Self.calendar.workdays(from: start, through: end) }
        #expect(throws: WorkCalendar.MissingYear(year: 2018)) { try Self.calendar.isWorkday(try #require(Day("2018-12-31"))) }
        #expect(WorkCalendar.MissingYear(year: 2027).description.contains("缺少 2027 年的节假日安排"))
        let schedule = FilingSchedule.generate(indicators: ["a"], start: start, end: end, perDay: 1, calendar: Self.calendar)
        #expect(schedule == .failure(.calendarMissing(year: 2027)))
    }
}

@Suite("Verification time rules")
struct FlagRulesTests {
    static let calendar = CalendarEntry.calendar(OfficialHolidays.notices.flatMap(\.entries))

    /// Worked by hand from 国办发明电〔2021〕11号: 1–7 October 2022 off, Saturday 8 and Sunday 9 October worked.
    @Test("five working days to answer a flag, across the 2022 National Day holiday and its make-up weekend")
    func responseDeadline() throws {
        // Raised Thursday 29 September: Fri 30 (1), 1–7 Oct off, Sat 8 (2), Sun 9 (3), Mon 10 (4), Tue 11 (5).
        #expect(try FlagRules.responseDeadline(raisedOn: try #require(Day("2022-09-29")), calendar: Self.calendar) == Day("2022-10-11"))
        // An ordinary week: raised Monday 14 November, due Monday 21 November.
        #expect(try FlagRules.responseDeadline(raisedOn: try #require(Day("2022-11-14")), calendar: Self.calendar) == Day("2022-11-21"))
    }

    @Test("the evaluation period ends the day before filing starts, else on 30 September")
    func cutoff() throws {
        #expect(FlagRules.evaluationCutoff(filingPhaseStart: Day("2022-10-10"), campaignYear: 2022) == Day("2022-10-09"))
        #expect(FlagRules.evaluationCutoff(filingPhaseStart: nil, campaignYear: 2022) == Day("2022-09-30"))
    }
}
