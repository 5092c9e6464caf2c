import Testing
@testable import YingshangCore

/// China's 2022 National Day: 1–7 October off, Saturday 8 and Sunday 9 October are 调休 workdays.
let nationalDay2022 = WorkCalendar(
    holidays: Set((1...7).compactMap { Day(year: 2022, month: 10, day: $0) }),
    makeUpWorkdays: [Day("2022-10-08")!, Day("2022-10-09")!])

@Suite("Days and working days")
struct DayTests {
    @Test func parseAndFormat() {
        #expect(Day("2022-10-08")?.description == "2022-10-08")
        #expect(Day("2022/1/5")?.description == "2022-01-05")
        #expect(Day("2022-02-29") == nil)
        #expect(Day("2024-02-29") != nil)
        #expect(Day("20221008") == nil)
        #expect(Day("2022-13-01") == nil)
    }

    @Test("weekday and ordinal round trip")
    func weekday() throws {
        let d = try #require(Day("2022-10-08"))
        #expect(d.isoWeekday == 6)
        #expect(d.chineseWeekday == "周六")
        #expect(try #require(Day("1970-01-01")).ordinal == 0)
        #expect(Day(ordinal: d.ordinal) == d)
        #expect(d.adding(days: 24).description == "2022-11-01")
        #expect(try #require(Day("2000-03-01")).adding(days: -1).description == "2000-02-29")
    }

    @Test("weekends, holidays and 调休 workdays")
    func workdays() throws {
        let cal = nationalDay2022
        #expect(try !cal.isWorkday(try #require(Day("2022-10-03"))))  // Monday, holiday
        #expect(try cal.isWorkday(try #require(Day("2022-10-08"))))  // Saturday, make-up workday
        #expect(try !cal.isWorkday(try #require(Day("2022-10-15"))))  // ordinary Saturday
        #expect(try cal.workdays(from: Day("2022-10-01")!, through: Day("2022-10-31")!).count == 18)
    }

    @Test("lateness counts working days after the due day")
    func lateness() throws {
        let cal = nationalDay2022
        #expect(try cal.workdaysLate(due: Day("2022-10-14")!, today: Day("2022-10-14")!) == 0)
        #expect(try cal.workdaysLate(due: Day("2022-10-14")!, today: Day("2022-10-16")!) == 0)  // weekend
        #expect(try cal.workdaysLate(due: Day("2022-10-14")!, today: Day("2022-10-17")!) == 1)
        #expect(try cal.workdaysLate(due: Day("2022-09-30")!, today: Day("2022-10-08")!) == 1)  // holidays skipped
    }

    @Test("holiday list parsing names the bad line")
    func parseList() {
        let (entries, problems) = CalendarEntry.parseList(
            "# 2022 国庆\n2022-10-01 放假 国庆节\n2022-10-08 上班 国庆调休\n\n2022-10-99 放假\n2022-10-02 休息\n2022-10-01 放假 重复")
        #expect(entries.count == 2)
        #expect(entries.map(\.kind) == [.holiday, .workday])
        #expect(entries[0].name == "国庆节")
        #expect(problems.count == 3)
        #expect(problems[0].hasPrefix("第 5 行"))
        #expect(problems[1].contains("休息"))
        #expect(problems[2].contains("重复"))
        let cal = CalendarEntry.calendar(entries)
        #expect(cal.makeUpWorkdays == [Day("2022-10-08")!])
    }
}

@Suite("Filing schedule generator")
struct ScheduleTests {
    let codes = (1...16).map { "ind\($0 < 10 ? "0" : "")\($0)" }

    @Test("16 indicators at two a day in October 2022 skip the National Day holiday and use the 调休 weekend")
    func october2022() throws {
        let entries = try FilingSchedule.generate(
            indicators: codes, start: Day("2022-10-01")!, end: Day("2022-10-31")!, perDay: 2, calendar: nationalDay2022
        ).get()
        #expect(entries.count == 16)
        let days = entries.map(\.day.description)
        #expect(Array(Set(days)).sorted() == [
            "2022-10-08", "2022-10-09", "2022-10-10", "2022-10-11", "2022-10-12", "2022-10-13", "2022-10-14", "2022-10-17",
        ])
        #expect(entries.prefix(2).map(\.indicatorCode) == ["ind01", "ind02"])
        #expect(!entries.isEmpty && entries.allSatisfy { !$0.fixed })
        // No day carries more than two.
        #expect(Dictionary(grouping: entries, by: \.day).values.allSatisfy { $0.count == 2 })
    }

    @Test("without holidays the plan starts on the first weekday and skips weekends")
    func weekendsOnly() throws {
        let entries = try FilingSchedule.generate(
            indicators: Array(codes.prefix(5)), start: Day("2022-10-01")!, end: Day("2022-10-31")!, perDay: 2,
            calendar: WorkCalendar()
        ).get()
        #expect(entries.map(\.day.description) == ["2022-10-03", "2022-10-03", "2022-10-04", "2022-10-04", "2022-10-05"])
    }

    @Test("fixed dates are kept and use up that day's slots")
    func fixedDates() throws {
        let fixed = ["ind16": Day("2022-10-08")!, "ind15": Day("2022-10-20")!]
        let entries = try FilingSchedule.generate(
            indicators: codes, start: Day("2022-10-01")!, end: Day("2022-10-31")!, perDay: 2, calendar: nationalDay2022,
            fixed: fixed
        ).get()
        let byCode = Dictionary(uniqueKeysWithValues: entries.map { ($0.indicatorCode, $0) })
        #expect(byCode["ind16"]?.day == Day("2022-10-08"))
        #expect(byCode["ind16"]?.fixed == true)
        #expect(byCode["ind15"]?.day == Day("2022-10-20"))
        #expect(entries.filter { $0.day == Day("2022-10-08")! }.map(\.indicatorCode) == ["ind01", "ind16"])
        #expect(byCode["ind02"]?.day == Day("2022-10-09"))
        #expect(entries.count == 16)
    }

    @Test("a fixed date may be a day off when set by hand; the others still avoid it")
    func fixedOnHoliday() throws {
        let entries = try FilingSchedule.generate(
            indicators: ["a", "b"], start: Day("2022-10-01")!, end: Day("2022-10-31")!, perDay: 2, calendar: nationalDay2022,
            fixed: ["a": Day("2022-10-03")!]
        ).get()
        #expect(entries.map(\.day.description) == ["2022-10-03", "2022-10-08"])
    }

    @Test("problems: too few workdays, fixed date outside the phase, unknown indicator, bad per-day")
    func problems() {
        let short = FilingSchedule.generate(
            indicators: codes, start: Day("2022-10-01")!, end: Day("2022-10-10")!, perDay: 2, calendar: nationalDay2022)
        #expect(short == .failure(.notEnoughWorkdays(needed: 8, available: 3)))
        if case .failure(let p) = short { #expect(p.message.contains("需要 8 个工作日，只有 3 个")) }

        let outside = FilingSchedule.generate(
            indicators: codes, start: Day("2022-10-01")!, end: Day("2022-10-31")!, perDay: 2, calendar: nationalDay2022,
            fixed: ["ind01": Day("2022-11-01")!])
        #expect(outside == .failure(.fixedOutsideWindow(code: "ind01", day: Day("2022-11-01")!)))

        let unknown = FilingSchedule.generate(
            indicators: codes, start: Day("2022-10-01")!, end: Day("2022-10-31")!, perDay: 2, calendar: nationalDay2022,
            fixed: ["nope": Day("2022-10-10")!])
        #expect(unknown == .failure(.unknownFixedIndicator("nope")))

        let zero = FilingSchedule.generate(
            indicators: codes, start: Day("2022-10-01")!, end: Day("2022-10-31")!, perDay: 0, calendar: nationalDay2022)
        #expect(zero == .failure(.perDayNotPositive))

        let holidaysOnly = FilingSchedule.generate(
            indicators: ["a"], start: Day("2022-10-01")!, end: Day("2022-10-07")!, perDay: 2, calendar: nationalDay2022)
        #expect(holidaysOnly == .failure(.emptyWindow))
    }
}

@Suite("Phase plan")
struct PhasePlanTests {
    let start = Day("2022-09-01")!
    let end = Day("2022-12-31")!

    @Test func defaultsAreValid() {
        let phases = PhasePlan.defaults(year: 2022)
        #expect(phases.map(\.kind) == PhaseKind.allCases)
        #expect(PhasePlan.validate(campaignStart: start, campaignEnd: end, phases: phases).isEmpty)
        #expect(phases[1].start == Day("2022-10-01"))
    }

    @Test("overlapping phases are named")
    func overlap() {
        var phases = PhasePlan.defaults(year: 2022)
        phases[2] = PhaseSpan(kind: .verification, start: Day("2022-10-25")!, end: Day("2022-11-30")!)
        let problems = PhasePlan.validate(campaignStart: start, campaignEnd: end, phases: phases)
        #expect(problems.map(\.field) == ["phases.verification.start"])
        #expect(problems.first?.message.contains("重叠") == true)
    }

    @Test("a phase outside the campaign and a reversed phase")
    func outsideAndReversed() {
        var phases = PhasePlan.defaults(year: 2022)
        phases[3] = PhaseSpan(kind: .report, start: Day("2022-12-01")!, end: Day("2023-01-15")!)
        phases[0] = PhaseSpan(kind: .training, start: Day("2022-09-20")!, end: Day("2022-09-10")!)
        let fields = PhasePlan.validate(campaignStart: start, campaignEnd: end, phases: phases).map(\.field)
        #expect(fields.contains("phases.report.start"))
        #expect(fields.contains("phases.training.end"))
    }

    @Test func deadlines() {
        #expect(PhasePlan.validateDeadline(Day("2022-10-10")!, campaignStart: start, campaignEnd: end) == nil)
        #expect(PhasePlan.validateDeadline(Day("2023-01-01")!, campaignStart: start, campaignEnd: end)?.field == "deadline")
    }
}

@Suite("Late filing and falsification rules")
struct LateAndFalsificationTests {
    static let calendar = CalendarEntry.calendar(OfficialHolidays.notices.flatMap(\.entries))

    @Test("late working days: to the first hand-in, or to today capped at the campaign's end; National Day 2022 is not counted")
    func late() throws {
        let due = try #require(Day("2022-09-29"))
        let end = try #require(Day("2022-12-31"))
        func late(_ handedIn: String?, today: String) throws -> Int {
            try FilingSchedule.lateWorkdays(due: due, firstHandedIn: handedIn.flatMap(Day.init), today: try #require(Day(today)), campaignEnd: end, calendar: Self.calendar)
        }
        #expect(try late("2022-09-29", today: "2022-11-01") == 0)
        // 30 Sep (1), 1–7 Oct holiday, 8 and 9 Oct make-up workdays (2, 3), 10 Oct (4).
        #expect(try late("2022-10-10", today: "2022-11-01") == 4)
        #expect(try late(nil, today: "2022-10-10") == 4)
        // Never handed in, campaign over: counted to 31 December only.
        #expect(try late(nil, today: "2023-03-01") == late(nil, today: "2022-12-31"))
    }

    @Test("which confirmed flags count as 数据造假")
    func falsification() {
        #expect(Set(FlagRule.allCases.filter(\.countsAsFalsification)) == [.recordMismatch, .surveyMismatch, .evidenceReuse, .fieldWork])
    }
}
