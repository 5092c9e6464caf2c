import Testing
@testable import YingshangCore

@Suite("Year over year")
struct YearOverYearTests {
    @Test("dates move by calendar year; 29 February lands on 28 February (expected values from Python's dateutil.relativedelta)")
    func shift() throws {
        // python3 -c "from datetime import date; from dateutil.relativedelta import relativedelta as r; print(date(2024,2,29)+r(years=1))"
        let cases: [(String, Int, String)] = [
            ("2024-02-29", 1, "2025-02-28"), ("2024-02-29", 2, "2026-02-28"), ("2024-02-29", 4, "2028-02-29"),
            ("2023-10-08", 1, "2024-10-08"), ("2022-12-31", 1, "2023-12-31"), ("2023-03-01", -1, "2022-03-01"),
        ]
        for (from, years, expected) in cases {
            let day = try #require(Day(from))
            #expect(YearOverYear.shift(day, years: years).description == expected, "\(from) + \(years)")
        }
        let plan = PhasePlan.defaults(year: 2022)
        let next = YearOverYear.shift(plan, years: 1)
        #expect(next == PhasePlan.defaults(year: 2023))
        #expect(next.map(\.kind) == PhaseKind.allCases)
    }

    @Test("the old year in the name becomes the new one; a name without it gets the year in front; other numbers stay")
    func names() {
        #expect(YearOverYear.carriedName("2022 年度青山县营商环境评价", from: 2022, to: 2023) == "2023 年度青山县营商环境评价")
        #expect(YearOverYear.carriedName("青山县2022年营商环境评价（第2022批）", from: 2022, to: 2024) == "青山县2024年营商环境评价（第2024批）")
        #expect(YearOverYear.carriedName("青山县营商环境评价", from: 2022, to: 2023) == "2023 年度青山县营商环境评价")
        #expect(YearOverYear.carriedName("20221 号评价", from: 2022, to: 2023) == "2023 年度20221 号评价")
    }

    static func sub(_ code: String, best: Double?, worst: Double?) -> SubScore {
        SubScore(
            code: code, nameZh: code, unit: nil, value: nil, numericValue: nil, best: best, worst: worst, weight: 1, score: nil,
            status: .scored, source: nil, note: nil, explanation: "")
    }

    static func indicator(_ code: String, _ score: Double?, rank: Int?, subs: [SubScore] = []) -> IndicatorScore {
        IndicatorScore(code: code, nameZh: "指标\(code)", weight: 1, score: score, subScores: subs, rank: rank, unscoredReason: nil)
    }

    @Test("changes per indicator and overall, ranks of both years, indicators of one year only, a moved frontier named")
    func compare() {
        let now = RegionScore(
            id: "qs", name: "青山县", isBenchmark: false, overall: 82.5, rank: 2,
            indicators: [
                Self.indicator("A", 90.25, rank: 1, subs: [Self.sub("a1", best: 1, worst: 20)]),
                Self.indicator("B", 70, rank: 5, subs: [Self.sub("b1", best: 5, worst: 30)]),
                Self.indicator("C", nil, rank: nil),
            ])
        let then = RegionScore(
            id: "qs", name: "青山县", isBenchmark: false, overall: 78.25, rank: 4,
            indicators: [
                Self.indicator("A", 85, rank: 3, subs: [Self.sub("a1", best: 1, worst: 20)]),
                Self.indicator("B", 75.5, rank: 2, subs: [Self.sub("b1", best: 4, worst: 30)]),
                Self.indicator("D", 60, rank: 7),
            ])
        let c = YearOverYear.compare(current: now, previous: then)
        #expect(c.lines.map(\.code) == ["A", "B", "C", "D"])
        #expect(c.lines[0].change == 5.25)
        #expect(c.lines[0].sameFrontier == true)
        #expect(c.lines[1].change == -5.5)
        #expect(c.lines[1].sameFrontier == false, "the best value moved from 4 to 5")
        #expect(c.lines[1].currentRank == 5 && c.lines[1].previousRank == 2)
        #expect(c.lines[2].change == nil && c.lines[2].previous == nil && c.lines[2].sameFrontier == nil)
        #expect(c.lines[3].current == nil && c.lines[3].previous == 60)
        #expect(c.overallChange == 4.25)
        #expect(c.rankCurrent == 2 && c.rankPrevious == 4)
        #expect(!c.sameIndicators, "A, B scored now; A, B, D then")
        let same = YearOverYear.compare(current: now, previous: now)
        #expect(same.sameIndicators && same.overallChange == 0)
    }

    @Test("changes are shown with their sign at two decimals; one that rounds to nothing is 0.00, with no direction")
    func changeText() {
        #expect(Scoring.fmtChange(5.25) == "+5.25")
        #expect(Scoring.fmtChange(-5.5) == "-5.50")
        #expect(Scoring.fmtChange(18.186) == "+18.19")
        #expect(Scoring.fmtChange(-0.004) == "0.00")
        #expect(Scoring.fmtChange(0) == "0.00")
        #expect(Scoring.changeDirection(-0.004) == 0 && Scoring.changeDirection(0.006) == 1 && Scoring.changeDirection(-0.3) == -1)
    }
}
