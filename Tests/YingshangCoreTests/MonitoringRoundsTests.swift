import Testing
@testable import YingshangCore

@Suite("Monitoring rounds (常态化监测)")
struct MonitoringRoundsTests {
    /// The official arrangements, as the server seeds them (国办发明电〔2025〕7号 for 2026).
    static func calendar(_ years: [Int]) -> WorkCalendar {
        var entries: [CalendarEntry] = []
        for y in years { entries += OfficialHolidays.notice(year: y)?.entries ?? [] }
        var c = CalendarEntry.calendar(entries)
        c.years = Set(years)
        return c
    }

    static func dates(_ p: MonitoringRoundPlan) -> [String] { p.phases.map { "\($0.start)…\($0.end)" } }

    @Test("a quarter's default window: ten working days after the quarter, then five of verification and five of report, around 清明")
    func quarterAroundQingming() throws {
        // Counted by hand on the 2026 calendar: 1 April is a Wednesday; 4–6 April (Sat–Mon) are the 清明 holiday.
        let plan = try MonitoringRounds.plan(.quarterly, year: 2026, number: 1, calendar: Self.calendar([2026])).get()
        #expect(plan.label == "2026年第1季度")
        #expect(Self.dates(plan) == [
            "2026-01-01…2026-03-31", "2026-04-01…2026-04-15", "2026-04-16…2026-04-22", "2026-04-23…2026-04-29",
        ])
        #expect(plan.start.description == "2026-01-01" && plan.end.description == "2026-04-29")
        #expect(PhasePlan.validate(campaignStart: plan.start, campaignEnd: plan.end, phases: plan.phases).isEmpty)
    }

    @Test("after the third quarter the window skips 国庆 and counts Saturday 10 October, a 调休 working day")
    func quarterAroundNationalDay() throws {
        // 1–7 October 2026 off; 8 October is a Thursday; 10 October (Saturday) is worked.
        let plan = try MonitoringRounds.plan(.quarterly, year: 2026, number: 3, calendar: Self.calendar([2026])).get()
        #expect(plan.filing?.start.description == "2026-10-08")
        #expect(plan.filing?.end.description == "2026-10-20")
    }

    @Test("a month's round is lighter: five, three and two working days; February's period ends on its 28th")
    func month() throws {
        let plan = try MonitoringRounds.plan(.monthly, year: 2026, number: 2, calendar: Self.calendar([2026])).get()
        #expect(plan.label == "2026年2月")
        #expect(Self.dates(plan) == [
            "2026-02-01…2026-02-28", "2026-03-02…2026-03-06", "2026-03-09…2026-03-11", "2026-03-12…2026-03-13",
        ])
        let leap = try MonitoringRounds.plan(.monthly, year: 2024, number: 2, calendar: Self.calendar([2024])).get()
        #expect(leap.periodEnd.description == "2024-02-29")
    }

    @Test("a new round proposes the last period that has ended, last year's in January")
    func lastEnded() throws {
        func at(_ s: String) throws -> Day { try #require(Day(s)) }
        #expect(MonitoringRounds.lastEnded(.quarterly, before: try at("2026-01-15")) == (2025, 4))
        #expect(MonitoringRounds.lastEnded(.quarterly, before: try at("2026-03-31")) == (2025, 4))
        #expect(MonitoringRounds.lastEnded(.quarterly, before: try at("2026-04-01")) == (2026, 1))
        #expect(MonitoringRounds.lastEnded(.quarterly, before: try at("2026-12-05")) == (2026, 3))
        #expect(MonitoringRounds.lastEnded(.monthly, before: try at("2026-01-31")) == (2025, 12))
        #expect(MonitoringRounds.lastEnded(.monthly, before: try at("2026-12-05")) == (2026, 11))
    }

    @Test("a round whose window runs into a year without known holidays is refused, not counted Monday to Friday")
    func missingYear() {
        #expect(throws: WorkCalendar.MissingYear(year: 2027)) {
            _ = try MonitoringRounds.plan(.quarterly, year: 2026, number: 4, calendar: Self.calendar([2026]))
        }
    }

    @Test("bad numbers and windows are named by field: a fifth quarter, a window inside the period, half a window")
    func refusals() throws {
        let c = Self.calendar([2026])
        func fields(_ r: Result<MonitoringRoundPlan, FieldProblems>) -> [String] {
            if case .failure(let f) = r { return f.problems.map(\.field) }
            return []
        }
        #expect(fields(try MonitoringRounds.plan(.quarterly, year: 2026, number: 5, calendar: c)) == ["number"])
        #expect(fields(try MonitoringRounds.plan(.monthly, year: 2026, number: 0, calendar: c)) == ["number"])
        #expect(fields(try MonitoringRounds.plan(.quarterly, year: 1999, number: 1, calendar: c)) == ["year"])
        let inside = try MonitoringRounds.plan(.quarterly, year: 2026, number: 1, calendar: c, filingStart: Day("2026-03-20"), filingEnd: Day("2026-04-10"))
        #expect(fields(inside) == ["filingStart"])
        let reversed = try MonitoringRounds.plan(.quarterly, year: 2026, number: 1, calendar: c, filingStart: Day("2026-04-10"), filingEnd: Day("2026-04-02"))
        #expect(fields(reversed) == ["filingEnd"])
        #expect(fields(try MonitoringRounds.plan(.quarterly, year: 2026, number: 1, calendar: c, filingStart: Day("2026-04-10"))) == ["filingEnd"])
        // A window given in full is kept; verification starts on the next working day after it.
        let given = try MonitoringRounds.plan(.quarterly, year: 2026, number: 1, calendar: c, filingStart: Day("2026-04-07"), filingEnd: Day("2026-04-30")).get()
        #expect(given.filing?.start.description == "2026-04-07" && given.filing?.end.description == "2026-04-30")
        #expect(given.phases[2].start.description == "2026-05-06")
    }

    static func region(_ id: String, overall: Double?, _ scores: [(String, Double?)]) -> RegionScore {
        RegionScore(
            id: id, name: id == "qs" ? "青山县" : "东湖县", isBenchmark: false, overall: overall, rank: nil,
            indicators: scores.map {
                IndicatorScore(code: $0.0, nameZh: $0.0, weight: 1, score: $0.1, subScores: [], rank: nil, unscoredReason: nil)
            })
    }

    @Test("the trend lines up each region's scores by round; an unscored round or indicator is a gap, not a zero")
    func trend() {
        let r1 = ScoringResult(
            regions: [Self.region("qs", overall: 70, [("A", 60), ("B", 80)]), Self.region("dh", overall: 50, [("A", 50), ("B", nil)])],
            warnings: [], assessedCount: 2)
        let r3 = ScoringResult(regions: [Self.region("qs", overall: 75.5, [("A", 75.5)])], warnings: [], assessedCount: 1)
        let t = RoundTrend.build(
            [.init(label: "Q1", result: r1), .init(label: "Q2", result: nil), .init(label: "Q3", result: r3)],
            indicators: [(code: "A", name: "开办企业"), (code: "B", name: "办理建筑许可"), (code: "C", name: "未评分指标")])
        #expect(t.labels == ["Q1", "Q2", "Q3"])
        #expect(t.overall.map(\.regionName) == ["青山县", "东湖县"])
        #expect(t.overall[0].values == [70, nil, 75.5])
        #expect(t.overall[1].values == [50, nil, nil])
        #expect(t.indicators.map(\.code) == ["A", "B"])
        #expect(t.indicators[0].lines[0].values == [60, nil, 75.5])
        #expect(t.indicators[1].lines[1].values == [nil, nil, nil])
        #expect(t.subsetsDiffer)
    }

    @Test("the trend chart draws a gap as two pieces and puts 50 halfway up the axis")
    func chart() {
        let svg = SVGChart.trendLines(labels: ["一", "二", "三", "四"], lines: [(name: "青山县", values: [40, 60, nil, 50])], title: "综合得分")
        // Plot: top 12, height 160, so 50 sits at y = 12 + 80 = 92; the gap leaves one polyline (rounds 1–2).
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 1)
        #expect(svg.components(separatedBy: "<circle").count - 1 == 3)
        #expect(svg.contains("cy=\"92.0\""))
        #expect(svg.contains("<title>青山县 四 50.00</title>"))
    }
}
