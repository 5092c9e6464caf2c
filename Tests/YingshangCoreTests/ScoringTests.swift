import Foundation
import Testing
@testable import YingshangCore

@Suite("Scoring: distance to frontier, ranks, adjustments")
struct ScoringTests {
    @Test("DTF in both directions, at the edges and clamped")
    func dtf() {
        // Lower is better: best 1, worst 10.
        #expect(DistanceToFrontier.score(1, best: 1, worst: 10) == 100)
        #expect(DistanceToFrontier.score(10, best: 1, worst: 10) == 0)
        #expect(abs((DistanceToFrontier.score(4, best: 1, worst: 10) ?? -1) - 66.666666666) < 1e-6)
        #expect(DistanceToFrontier.score(0.5, best: 1, worst: 10) == 100)  // better than the frontier
        #expect(DistanceToFrontier.score(12, best: 1, worst: 10) == 0)  // worse than the worst
        // Higher is better: best 100, worst 0.
        #expect(DistanceToFrontier.score(75, best: 100, worst: 0) == 75)
        #expect(DistanceToFrontier.score(120, best: 100, worst: 0) == 100)
        #expect(DistanceToFrontier.score(-5, best: 100, worst: 0) == 0)
        #expect(DistanceToFrontier.score(3, best: 5, worst: 5) == nil)
        #expect(DistanceToFrontier.score(.nan, best: 1, worst: 5) == nil)
    }

    /// Doing Business topic score = mean of its component DTF scores. Frontier/worst values from the DB methodology
    /// (DB2016–DB2020 "ease of doing business score" notes):
    /// - Starting a business: procedures 1–18, time 0.5–100 days, cost 0–200 % of income per capita,
    ///   paid-in minimum capital 0–400 %.
    /// - Dealing with construction permits: procedures 5–30, time 26–373 days, cost 0–20 % of warehouse value,
    ///   building quality control index 15–0 (higher is better).
    /// Economy values and published topic scores, Doing Business 2017 country tables / economy profiles:
    /// - Afghanistan: starting a business 3.5 procedures, 7.5 days, cost 82.3 %, capital 0.0 → DTF 84.28;
    ///   construction permits 13 procedures, 354 days, cost 89.8 %, quality index 2.5 → DTF 22.54.
    /// - Albania: starting a business 5 procedures, 5 days, cost 10.1 %, capital 0 → DTF 91.73.
    /// Published inputs are rounded to one decimal, so Albania is checked to ±0.02.
    @Test("DTF reproduces published World Bank Doing Business topic scores")
    func worldBank() throws {
        func topic(_ parts: [(Double, Double, Double)]) throws -> Double {
            let subs = parts.enumerated().map { i, p in
                SubIndicatorInput(code: "c\(i)", nameZh: "c\(i)", kind: .number, best: p.1, worst: p.2, value: String(p.0), source: .filing)
            }
            let r = try Scoring.run(
                ScoringInputs(
                    catalogVersion: "db", regions: [RegionScoringInput(id: "x", name: "x", indicators: [IndicatorInput(code: "t", nameZh: "t", weight: 1, subIndicators: subs)])]))
            return try #require(r.regions[0].indicators[0].score)
        }
        let afgStart = try topic([(3.5, 1, 18), (7.5, 0.5, 100), (82.3, 0, 200), (0, 0, 400)])
        #expect(abs(afgStart - 84.28) < 0.01, "\(afgStart)")
        let afgPermits = try topic([(13, 5, 30), (354, 26, 373), (89.8, 0, 20), (2.5, 15, 0)])
        #expect(abs(afgPermits - 22.54) < 0.01, "\(afgPermits)")
        let albStart = try topic([(5, 1, 18), (5, 0.5, 100), (10.1, 0, 200), (0, 0, 400)])
        #expect(abs(albStart - 91.73) < 0.02, "\(albStart)")
    }

    @Test("yes/no and choice items score by points; text is shown but not scored")
    func items() {
        let yes = Scoring.scoreSub(SubIndicatorInput(code: "a", nameZh: "a", kind: .yesNo, value: "是", source: .filing))
        #expect(yes.score == 100 && yes.status == .scored)
        let no = Scoring.scoreSub(SubIndicatorInput(code: "a", nameZh: "a", kind: .yesNo, value: "否", source: .filing))
        #expect(no.score == 0)
        let bad = Scoring.scoreSub(SubIndicatorInput(code: "a", nameZh: "a", kind: .yesNo, value: "也许", source: .filing))
        #expect(bad.status == .invalid && bad.score == nil)
        let opts = [ChoiceOption(label: "全部", points: 4), ChoiceOption(label: "部分", points: 1), ChoiceOption(label: "无", points: 0)]
        let part = Scoring.scoreSub(SubIndicatorInput(code: "c", nameZh: "c", kind: .choice, options: opts, value: "部分", source: .filing))
        #expect(part.score == 25)
        let text = Scoring.scoreSub(SubIndicatorInput(code: "t", nameZh: "t", kind: .text, value: "说明", source: .filing))
        #expect(text.status == .notScored && text.score == nil)
        let nonNumber = Scoring.scoreSub(SubIndicatorInput(code: "n", nameZh: "n", kind: .number, best: 1, worst: 5, value: "三", source: .filing))
        #expect(nonNumber.status == .invalid)
        let noScale = Scoring.scoreSub(SubIndicatorInput(code: "n", nameZh: "n", kind: .number, value: "3", source: .filing))
        #expect(noScale.status == .invalid)
        let clamped = Scoring.scoreSub(SubIndicatorInput(code: "n", nameZh: "n", kind: .number, best: 1, worst: 5, value: "9", source: .filing))
        #expect(clamped.score == 0 && clamped.explanation.contains("截取"))
    }

    static func county(_ id: String, steps: String?, time: String?, yes: String?, weight: Double = 1) -> RegionScoringInput {
        RegionScoringInput(
            id: id, name: id + "县",
            indicators: [
                IndicatorInput(
                    code: "sb", nameZh: "开办企业", weight: weight,
                    subIndicators: [
                        SubIndicatorInput(code: "steps", nameZh: "环节", kind: .number, best: 1, worst: 7, weight: 1, value: steps, source: .filing),
                        SubIndicatorInput(code: "time", nameZh: "时间", kind: .number, best: 0.5, worst: 10, weight: 2, value: time, source: .verified),
                    ]),
                IndicatorInput(
                    code: "gs", nameZh: "政务服务", weight: 1,
                    subIndicators: [SubIndicatorInput(code: "ok", nameZh: "一网通办", kind: .yesNo, value: yes, source: .filing)]),
            ])
    }

    @Test("weighted means up the tree, full precision kept, missing values listed not zeroed")
    func weightedAndMissing() throws {
        let r = try Scoring.run(ScoringInputs(catalogVersion: "v1", regions: [Self.county("a", steps: "4", time: "2.4", yes: "否")]))
        let sb = try #require(r.regions[0].indicator("sb"))
        let steps = 50.0, time = (10 - 2.4) / 9.5 * 100
        #expect(abs((sb.score ?? 0) - (steps + 2 * time) / 3) < 1e-12)
        #expect(abs((r.regions[0].overall ?? 0) - ((steps + 2 * time) / 3 + 0) / 2) < 1e-12)

        // The time value missing: the indicator is scored on what is there, and the warning says which.
        let m = try Scoring.run(ScoringInputs(catalogVersion: "v1", regions: [Self.county("b", steps: "4", time: nil, yes: nil)]))
        #expect(m.regions[0].indicator("sb")?.score == 50)
        #expect(m.regions[0].indicator("gs")?.score == nil)
        #expect(m.regions[0].overall == 50)
        #expect(m.warnings.contains { $0.contains("开办企业—时间") && $0.contains("未填报") })
        #expect(m.warnings.contains { $0.contains("政务服务") && $0.contains("未计入总分") })
    }

    @Test("weights summing to zero are refused with the indicator named")
    func zeroWeights() {
        var region = Self.county("a", steps: "4", time: "2", yes: "是")
        region.indicators[0].subIndicators[0].weight = 0
        region.indicators[0].subIndicators[1].weight = 0
        #expect(throws: ScoringError.self) { try Scoring.run(ScoringInputs(catalogVersion: "v", regions: [region])) }
        do { _ = try Scoring.run(ScoringInputs(catalogVersion: "v", regions: [region])) } catch let e as ScoringError {
            #expect(e.message.contains("开办企业"))
        } catch {}
        let all0 = [Self.county("a", steps: "4", time: "2", yes: "是", weight: 0)].map { r -> RegionScoringInput in
            var r = r
            r.indicators[1].weight = 0
            return r
        }
        #expect(throws: ScoringError.self) { try Scoring.run(ScoringInputs(catalogVersion: "v", regions: all0)) }
    }

    @Test("ranks across assessed regions, ties share a rank, benchmarks are not ranked; re-running gives the same result")
    func ranks() throws {
        let inputs = ScoringInputs(
            catalogVersion: "v1",
            regions: [
                Self.county("a", steps: "2", time: "1", yes: "是"),
                Self.county("b", steps: "4", time: "3", yes: "是"),
                Self.county("c", steps: "2", time: "1", yes: "是"),
                Self.county("d", steps: "6", time: nil, yes: "否"),
                RegionScoringInput(id: "best", name: "省内最优", isBenchmark: true, indicators: Self.county("x", steps: "1", time: "0.5", yes: "是").indicators),
            ])
        let r = try Scoring.run(inputs)
        #expect(r.assessedCount == 4)
        #expect(r.regions.map(\.rank) == [1, 3, 1, 4, nil])
        #expect(r.region("a")?.indicator("gs")?.rank == 1 && r.region("d")?.indicator("gs")?.rank == 4)
        #expect(r.region("best")?.overall == 100)
        #expect(try Scoring.run(inputs) == r)
        #expect(Ranking.competition([80, nil, 90, 80, 70]) == [2, nil, 1, 2, 4])
        #expect(throws: ScoringError.self) {
            try Scoring.run(ScoringInputs(catalogVersion: "v", regions: [RegionScoringInput(id: "b", name: "b", isBenchmark: true, indicators: [])]))
        }
    }

    @Test("rules: K validated against the number of regions, points itemised per unit with the cooperating share")
    func adjustments() throws {
        let rules = RuleSet(
            rules: [
                AdjustmentRule(kind: .topRankBonus, k: 1, points: 2),
                AdjustmentRule(kind: .bottomRankDeduction, percent: 25, points: 1),
                AdjustmentRule(kind: .lateFilingPerDay, points: 0.5, indicatorCode: "sb"),
                AdjustmentRule(kind: .falsificationPerFlag, points: 3),
            ], cooperatingShare: 0.5)
        #expect(rules.problems(assessedCount: 4, indicatorCodes: ["sb", "gs"]).isEmpty)
        let tooBig = RuleSet(rules: [AdjustmentRule(kind: .topRankBonus, k: 5, points: 2)])
        #expect(tooBig.problems(assessedCount: 4, indicatorCodes: []).first?.message.contains("大于被评价地区数 4") == true)
        #expect(!RuleSet(rules: [AdjustmentRule(kind: .topRankBonus, points: 2)]).problems(assessedCount: 4, indicatorCodes: []).isEmpty)
        #expect(!RuleSet(rules: [AdjustmentRule(kind: .lateFilingPerDay, points: 0)]).problems(assessedCount: 4, indicatorCodes: []).isEmpty)
        #expect(!RuleSet(rules: [], cooperatingShare: 1.5).problems(assessedCount: 1, indicatorCodes: []).isEmpty)
        #expect(!RuleSet(rules: [AdjustmentRule(kind: .lateFilingPerDay, points: 1, indicatorCode: "zz")]).problems(assessedCount: 1, indicatorCodes: ["sb"]).isEmpty)

        let result = try Scoring.run(
            ScoringInputs(
                catalogVersion: "v1",
                regions: [
                    Self.county("a", steps: "2", time: "1", yes: "是"), Self.county("b", steps: "4", time: "3", yes: "是"),
                    Self.county("c", steps: "3", time: "2", yes: "是"), Self.county("d", steps: "6", time: "8", yes: "否"),
                ]))
        let assignments = [
            UnitAssignment(regionID: "a", indicatorCode: "sb", leadUnitID: "SCJG", cooperatingUnitIDs: ["SWJ"], lateWorkdays: 2),
            UnitAssignment(regionID: "d", indicatorCode: "gs", leadUnitID: "SPJ", cooperatingUnitIDs: [], confirmedFlags: 1),
        ]
        let manual = [ManualAdjustment(unitID: "SPJ", indicatorCode: "gs", points: -1.5, reason: "推动不力")]
        #expect(ManualAdjustment(unitID: "x", indicatorCode: nil, points: -1, reason: " ").problems().map(\.field) == ["reason"])
        let table = UnitAssessment.compute(result: result, assignments: assignments, rules: rules, manual: manual)
        let scjg = try #require(table.first { $0.unitID == "SCJG" })
        // a ranks first in 开办企业: +2; late 2 days × 0.5: −1.
        #expect(scjg.items.map(\.points) == [2, -1])
        #expect(scjg.base == result.region("a")?.indicator("sb")?.score)
        let swj = try #require(table.first { $0.unitID == "SWJ" })
        #expect(swj.items.map(\.points) == [1, -0.5])
        let spj = try #require(table.first { $0.unitID == "SPJ" })
        // d is last of 4 in 政务服务 (bottom 25% = 1 region): −1; one confirmed flag: −3; manual −1.5.
        #expect(spj.items.map(\.points) == [-1, -3, -1.5])
        #expect(spj.total == 0 - 5.5)
        #expect(spj.items.last?.description.contains("推动不力") == true)
    }
}

@Suite("What an indicator is scored from")
struct ScoringSourcesTests {
    static func survey(_ value: Double, n: Int) -> SubIndicatorInput {
        SubIndicatorInput(
            code: "satisfaction", nameZh: "企业满意度", kind: .number, unit: "分", best: 100, worst: 0, value: String(value), source: .survey,
            respondents: n)
    }

    static func filed(_ value: String?) -> SubIndicatorInput {
        SubIndicatorInput(code: "time", nameZh: "时间", kind: .number, unit: "天", best: 0.5, worst: 10.5, value: value, source: value == nil ? nil : .filing)
    }

    static func inputs(_ indicators: [IndicatorInput], minimum: Int? = 30) -> ScoringInputs {
        ScoringInputs(catalogVersion: "1", regions: [RegionScoringInput(id: "r", name: "青山县", indicators: indicators)], minimumRespondents: minimum)
    }

    @Test("an indicator with survey answers only is not scored and is named; with too few respondents the survey value is 样本不足")
    func surveyOnlyAndSmallSamples() throws {
        let result = try Scoring.run(
            Self.inputs([
                // Filed 3 days: (10.5 − 3) / (10.5 − 0.5) × 100 = 75; survey 50 from 40 enterprises → mean of 75 and 50 = 62.5.
                IndicatorInput(code: "a", nameZh: "开办企业", weight: 1, subIndicators: [Self.filed("3"), Self.survey(50, n: 40)]),
                // Filed 3 days, survey from only 2 enterprises: excluded, the indicator is 75 from the filing alone.
                IndicatorInput(code: "b", nameZh: "纳税", weight: 1, subIndicators: [Self.filed("3"), Self.survey(100, n: 2)]),
                // Nothing filed, 75 from two answers: not scored (the demo used to rank this above filed indicators).
                IndicatorInput(code: "c", nameZh: "劳动力市场监管", weight: 1, subIndicators: [Self.filed(nil), Self.survey(75, n: 2)]),
                IndicatorInput(code: "d", nameZh: "政府采购", weight: 1, subIndicators: [Self.filed(nil), Self.survey(75, n: 45)]),
                IndicatorInput(code: "e", nameZh: "招标投标", weight: 1, subIndicators: [Self.filed(nil)]),
            ]))
        let r = try #require(result.region("r"))
        #expect(r.indicator("a")?.score == 62.5)
        #expect(r.indicator("b")?.score == 75)
        #expect(r.indicator("b")?.subScores.last?.status == .insufficientSample)
        #expect(r.indicator("b")?.subScores.last?.explanation == "样本不足：问卷回答 2 家，少于本次评价设定的 30 家")
        #expect(r.indicator("c")?.score == nil)
        #expect(r.indicator("d")?.score == nil && r.indicator("d")?.unscoredReason != nil)
        #expect(r.indicator("e")?.score == nil && r.indicator("e")?.unscoredReason == nil)
        // Overall over the two scored indicators only: (62.5 + 75) / 2.
        #expect(r.overall == 68.75)
        let coverage = ScoringCoverage(r)
        #expect(coverage.total == 5 && coverage.scored == 2 && coverage.scoredWithSurvey == 1 && coverage.surveyOnly == 1)
        #expect(coverage.unfiled == 2 && coverage.insufficientSamples == 2)
        #expect(coverage.summary.contains("已评分 2 项"))
        #expect(result.warnings.contains("青山县「政府采购」仅有企业问卷数据，无已通过的填报或核验值，不单独计分，未计入总分"))
        #expect(result.warnings.contains { $0.contains("「纳税—企业满意度」样本不足") })
    }

    @Test("a run stored before the rule (no minimum) re-runs as it was")
    func oldRunsUnchanged() throws {
        let result = try Scoring.run(
            Self.inputs([IndicatorInput(code: "c", nameZh: "劳动力市场监管", weight: 1, subIndicators: [Self.filed(nil), Self.survey(75, n: 2)])], minimum: nil))
        #expect(result.region("r")?.indicator("c")?.score == 75)
    }
}

@Suite("Explanation formula")
struct FormulaTests {
    @Test("the explanation shows the weighted mean with its numbers, and why an indicator has no score")
    func formula() throws {
        // Distance to frontier by hand: (worst − x)/(worst − best) = (10 − 8)/(10 − 2) = 25.00 (lower is better);
        // 是 → 100; weights 1 and 3: (25 × 1 + 100 × 3) ÷ 4 = 81.25; the unfiled sub-indicator is left out.
        let subs = [
            SubIndicatorInput(code: "time", nameZh: "时间", kind: .number, best: 2, worst: 10, weight: 1, value: "8", source: .filing),
            SubIndicatorInput(code: "online", nameZh: "网办", kind: .yesNo, weight: 3, value: "是", source: .filing),
            SubIndicatorInput(code: "docs", nameZh: "材料", kind: .number, best: 1, worst: 9, weight: 1, value: nil, source: nil),
        ]
        let ind = try Scoring.scoreIndicator(IndicatorInput(code: "t", nameZh: "t", weight: 1, subIndicators: subs))
        #expect(ind.formula == "指标得分 = Σ(二级指标得分 × 权重) ÷ Σ权重 = (25.00 × 1 + 100.00 × 3) ÷ 4 = 81.25")
        let none = try Scoring.scoreIndicator(IndicatorInput(code: "t", nameZh: "t", weight: 1, subIndicators: [subs[2]]))
        #expect(none.formula.contains("未评分（不按 0 分计）"))
    }
}

@Suite("预警值 and 先进值")
struct ThresholdTests {
    static func region(_ id: String, benchmark: Bool = false, _ scores: [(String, Double?)]) -> RegionScore {
        RegionScore(
            id: id, name: id, isBenchmark: benchmark, overall: nil, rank: nil,
            indicators: scores.map { IndicatorScore(code: $0.0, nameZh: $0.0, weight: 1, score: $0.1, subScores: [], rank: nil, unscoredReason: nil) })
    }

    @Test("strictly below the warning value warns, at the advanced value is advanced, unscored is never marked; a region's own line wins")
    func marks() throws {
        let all = ScoreThreshold(indicatorCode: "a", warning: 60, advanced: 90)
        #expect(Thresholds.mark(score: 59.99, all) == .warning)
        #expect(Thresholds.mark(score: 60, all) == .normal)
        #expect(Thresholds.mark(score: 89.99, all) == .normal)
        #expect(Thresholds.mark(score: 90, all) == .advanced)
        #expect(Thresholds.mark(score: nil, all) == .normal)
        #expect(Thresholds.mark(score: 10, nil) == .normal)
        let own = ScoreThreshold(indicatorCode: "a", regionID: "east", warning: 70, advanced: nil)
        #expect(Thresholds.resolve("a", regionID: "east", in: [all, own]) == own)
        #expect(Thresholds.resolve("a", regionID: "west", in: [all, own]) == all)
        #expect(Thresholds.resolve("b", regionID: "west", in: [all, own]) == nil)

        let result = ScoringResult(
            regions: [
                Self.region("east", [("a", 65), ("b", 95)]), Self.region("west", [("a", 55), ("b", nil)]),
                Self.region("best", benchmark: true, [("a", 10)]),
            ], warnings: [], assessedCount: 2)
        let found = Thresholds.findings(result, lines: [all, own, ScoreThreshold(indicatorCode: "b", warning: nil, advanced: 95)])
        #expect(found.map { "\($0.regionID) \($0.indicatorCode) \($0.mark.rawValue) \($0.threshold)" }
            == ["east a warning 70.0", "east b advanced 95.0", "west a warning 60.0"])
    }

    @Test("values outside 0–100 or a warning not below the advanced value are refused")
    func problems() {
        #expect(ScoreThreshold(indicatorCode: "a", warning: 60, advanced: 90).problems.isEmpty)
        #expect(ScoreThreshold(indicatorCode: "a", warning: nil, advanced: nil).problems.isEmpty)
        #expect(ScoreThreshold(indicatorCode: "a", warning: 90, advanced: 90).problems == ["预警值应低于先进值"])
        #expect(ScoreThreshold(indicatorCode: "a", warning: -1, advanced: 101).problems.count == 2)
    }
}

@Suite("预警值/先进值 table")
struct ThresholdTableTests {
    let indicators: Set<String> = ["a", "b"]
    let regions = ["370701": "east", "370702": "west"]

    @Test("columns in any order; a blank region is campaign-wide; blank values skip the row; every bad row is named and nothing is returned")
    func parse() {
        let good = ThresholdTable.parse(
            [["先进值", "预警值", "地区代码", "指标代码"], ["90", "60", "", "a"], ["", "70", "370701", "a"], ["", "", "", "b"], []],
            indicators: indicators, regions: regions)
        #expect(good.problems.isEmpty)
        #expect(good.lines == [
            ScoreThreshold(indicatorCode: "a", warning: 60, advanced: 90),
            ScoreThreshold(indicatorCode: "a", regionID: "east", warning: 70, advanced: nil),
        ])
        let bad = ThresholdTable.parse(
            [["指标代码", "地区代码", "预警值", "先进值"], ["a", "", "90", "60"], ["c", "", "1", ""], ["b", "999999", "x", ""], ["a", "", "10", ""]],
            indicators: indicators, regions: regions)
        #expect(bad.lines.isEmpty)
        #expect(bad.problems == [
            "第 2 行：预警值应低于先进值",
            "第 3 行：指标代码“c”不在本次评价中",
            "第 4 行：地区代码“999999”不是本次评价的被评价地区；预警值“x”不是数字",
            "第 5 行：与第 2 行重复",
        ])
        #expect(ThresholdTable.parse([["指标"]], indicators: indicators, regions: regions).problems == ["第 1 行缺少列：指标代码、预警值、先进值"])
    }
}
