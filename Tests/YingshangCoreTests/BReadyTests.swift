import Foundation
import Testing
@testable import YingshangCore
import YingshangOffice

@Suite("B-READY-style indicators: pillars, points-based questions, survey-derived values")
struct BReadyTests {
    @Test("the template: ten topics beside the national 18, each with the three pillars, points 2/1/0 weighted by their maximum, and valid")
    func template() {
        let catalog = Catalog(indicators: NationalCatalog.catalog.indicators + BReadyCatalog.indicators)
        #expect(CatalogValidation.validate(catalog).isEmpty, "\(CatalogValidation.validate(catalog))")
        #expect(BReadyCatalog.indicators.count == 10 && BReadyCatalog.indicators.allSatisfy { $0.code.hasPrefix("br_") })
        for t in BReadyCatalog.indicators {
            #expect(Set(t.subIndicators.compactMap(\.pillar)) == Set(Pillar.allCases), "\(t.code)")
            for s in t.subIndicators where s.kind == .choice {
                #expect(s.options.map(\.points) == [2, 1, 0] && s.weight == 2)
            }
            #expect(t.subIndicators.contains { $0.survey?.statistic == .shareYes } && t.subIndicators.contains { $0.survey?.statistic == .median })
            // What the survey computes is not also filed.
            for s in t.subIndicators where s.survey != nil { #expect(!t.questionnaire.contains { $0.subIndicatorCode == s.code }) }
        }
    }

    static func input(_ code: String, _ kind: SubIndicatorKind, _ pillar: Pillar, _ value: String, best: Double? = nil, worst: Double? = nil, weight: Double = 1, source: ValueSource = .filing) -> SubIndicatorInput {
        var s = SubIndicatorInput(
            code: code, nameZh: code, kind: kind, best: best, worst: worst, weight: weight,
            options: kind == .choice ? BReadyCatalog.pointOptions : [], value: value, source: source)
        s.pillar = pillar
        return s
    }

    @Test("a topic is the mean of its pillars, each pillar points obtained ÷ points possible (or its sub-indicators' weighted mean); computed by hand")
    func pillars() throws {
        // I: 是 + 部分 = 3 of 4 points → 75. II: 否 + 是 = 2 of 4 → 50.
        // III: 5.25 days on 0.5–10 → 50; 20% reporting on 0–30% → 33.33…; median 6.5 days on 1–15 → 60.71…
        let ind = IndicatorInput(code: "br_business_entry", nameZh: "市场准入", weight: 1, subIndicators: [
            Self.input("a", .choice, .regulatoryFramework, "是", weight: 2), Self.input("b", .choice, .regulatoryFramework, "部分", weight: 2),
            Self.input("c", .choice, .publicServices, "否", weight: 2), Self.input("d", .choice, .publicServices, "是", weight: 2),
            Self.input("e", .number, .operationalEfficiency, "5.25", best: 0.5, worst: 10),
            Self.input("f", .number, .operationalEfficiency, "20", best: 0, worst: 30, source: .survey),
            Self.input("g", .number, .operationalEfficiency, "6.5", best: 1, worst: 15, source: .survey),
        ])
        let s = try Scoring.scoreIndicator(ind)
        let p3 = (50.0 + 100.0 / 3 + 8.5 / 14 * 100) / 3
        #expect(s.pillars?.map(\.pillar) == [.regulatoryFramework, .publicServices, .operationalEfficiency])
        #expect(abs((s.pillars?[0].score ?? 0) - 75) < 1e-9 && abs((s.pillars?[1].score ?? 0) - 50) < 1e-9)
        #expect(abs((s.pillars?[2].score ?? 0) - p3) < 1e-9)
        #expect(abs((s.score ?? 0) - (75 + 50 + p3) / 3) < 1e-9, "\(s.score ?? -1)")
        #expect(s.formula.contains("支柱I监管框架 = (100.00 × 2 + 50.00 × 2) ÷ 4 = 75.00") && s.formula.contains("÷ 3 = 57.67"), "\(s.formula)")
        // A pillar with nothing filed is left out, not counted as 0: the mean of the two others.
        var partial = ind
        partial.subIndicators[2].value = nil
        partial.subIndicators[3].value = ""
        let q = try Scoring.scoreIndicator(partial)
        #expect(q.pillars?.count == 2 && abs((q.score ?? 0) - (75 + p3) / 2) < 1e-9)
        // Without pillars nothing changes: the weighted mean of the sub-indicators.
        let plain = IndicatorInput(code: "x", nameZh: "x", weight: 1, subIndicators: ind.subIndicators.map { var s = $0; s.pillar = nil; return s })
        let flat = try Scoring.scoreIndicator(plain)
        #expect(flat.pillars == nil && abs((flat.score ?? 0) - (100 * 2 + 50 * 2 + 0 * 2 + 100 * 2 + 50 + 100.0 / 3 + 850.0 / 14) / 11) < 1e-9)
    }

    @Test("shares with Wilson's interval and medians with an order-statistic interval, against a second implementation in Python")
    func surveyStatistics() throws {
        // python3: the roots of (p̂ − p)² = z² p(1 − p)/n with z = NormalDist().inv_cdf(0.975), solved as a quadratic.
        for (yes, n, lo, hi) in [(8, 40, 10.499990, 34.757306), (0, 12, 0.0, 24.249401), (12, 12, 75.750599, 100.0), (1, 3, 6.149194, 79.234040)] {
            let (l, h) = SurveyMeasures.wilson(yes: yes, n: n)
            #expect(abs(l * 100 - lo) < 1e-5 && abs(h * 100 - hi) < 1e-5, "\(yes)/\(n): \(l * 100) \(h * 100)")
        }
        // 10 answers 2…11: ranks j = ⌊5 − 1.96·√10/2⌋ = 1 and k = ⌈6 + 1.96·√10/2⌉ = 10 (math.floor/ceil in Python).
        #expect(SurveyMeasures.medianInterval(sorted: (2...11).map(Double.init)).map { [$0.0, $0.1] } == [2, 11])
        #expect(SurveyMeasures.medianInterval(sorted: [1, 2, 3, 4, 5]) == nil)
        let share = SurveyMeasure(item: "informal_payment", statistic: .shareYes, question: "?")
        let answers: [[String: String]] = (0..<10).map { i in
            ["t.informal_payment": i < 2 ? "是" : "否", "t.reported_days": String(i + 2)]
        } + [["t.informal_payment": "不清楚"], ["t.reported_days": " "]]
        let e = try #require(SurveyMeasures.estimate(share, indicator: "t", responses: answers))
        #expect(e.n == 10 && e.value == 20, "an answer other than 是/否 is not counted")
        #expect(e.note == "问卷 n = 10，95% 区间 5.67–50.98")
        let m = try #require(SurveyMeasures.estimate(SurveyMeasure(item: "reported_days", statistic: .median, question: "?"), indicator: "t", responses: answers))
        #expect(m.n == 10 && m.value == 6.5 && m.low == 2 && m.high == 11)
        #expect(SurveyMeasures.estimate(share, indicator: "other", responses: answers) == nil)
    }

    @Test("a catalog is refused when a pillared indicator leaves a sub-indicator outside the pillars, or a survey value is not a number, reuses a standard item or is also filed")
    func validation() throws {
        var t = try #require(BReadyCatalog.indicators.first)
        t.subIndicators[0].pillar = nil
        #expect(CatalogValidation.validate(Catalog(indicators: [t])).contains { $0.message.contains("未归入支柱") })
        var u = try #require(BReadyCatalog.indicators.first)
        let j = try #require(u.subIndicators.firstIndex { $0.survey != nil })
        u.subIndicators[j].survey?.item = "days"
        #expect(CatalogValidation.validate(Catalog(indicators: [u])).contains { $0.message.contains("与标准问卷题重复") })
        var v = try #require(BReadyCatalog.indicators.first)
        v.subIndicators[j].kind = .yesNo
        v.questionnaire.append(QuestionnaireItem(code: "qx", dimension: .time, text: "x", help: "", subIndicatorCode: v.subIndicators[j].code))
        let problems = CatalogValidation.validate(Catalog(indicators: [v])).map(\.message)
        #expect(problems.contains { $0.contains("须为数值型") } && problems.contains { $0.contains("不能同时由单位填报") })
    }

    @Test("pillars and survey measures survive the catalog workbook, and the survey asks what the measures need")
    func workbookAndSurvey() throws {
        let catalog = Catalog(indicators: BReadyCatalog.indicators)
        let back = try CatalogWorkbook.catalog(from: try XLSX.read(try XLSX.write(CatalogWorkbook.sheets(catalog))))
        #expect(back == catalog)
        let survey = SurveyTemplate.standard(catalog: catalog, codes: ["br_business_entry"])
        let codes = survey.items.map(\.code)
        #expect(codes.contains("br_business_entry.informal_payment") && codes.contains("br_business_entry.reported_days"))
        let informal = try #require(survey.items.first { $0.code == "br_business_entry.informal_payment" })
        #expect(informal.kind == .yesNo && informal.askedIf == "br_business_entry.used")
        #expect(survey.items.first { $0.code == "br_business_entry.reported_days" }?.kind == .number)
    }
}
