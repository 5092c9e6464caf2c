import Fluent
import Foundation
import Vapor
import YingshangCore
import YingshangOffice

/// The evaluation report (评价报告) of one region from the latest scoring run: the same model feeds the HTML page,
/// its PDF print and the XLSX tables.
struct EvaluationReport: Encodable {
    struct RegionRow: Encodable {
        let name: String
        let overall: String
        let rank: String
        let isBenchmark: Bool
        let active: Bool
        let id: String
    }

    struct SubRow: Encodable {
        let name: String
        let value: String
        let best: String
        let worst: String
        let score: String
        let gap: String
        let source: String
    }

    struct IndicatorPage: Encodable {
        let code: String
        let name: String
        let score: String
        let scoreValue: Double?
        let rank: String
        let comparison: String
        let subs: [SubRow]
        let survey: String
        let findings: [String]
        let findingsRaw: String
    }

    /// Appendix: what each score was weighted and bounded by (the frontier and worst values in force for this run).
    struct WeightRow: Encodable {
        let indicator: String
        let indicatorWeight: String
        let sub: String
        let weight: String
        let best: String
        let worst: String
        let direction: String
    }

    /// Appendix: each survey draw's response and its stratified index.
    struct ResponseRow: Encodable {
        let draw: String
        let planned: String
        let respondents: String
        let rate: String
        let index: String
    }

    struct RectRow: Encodable {
        let indicator: String
        let problem: String
        let measures: String
        let unit: String
        let deadline: String
        let status: String
        let overdue: Bool
    }

    let campaignID: String
    let campaignName: String
    let regionID: String
    let regionName: String
    let generatedAt: String
    let run: String
    let overall: String
    let rank: String
    let assessedCount: Int
    let multiRegion: Bool
    let comparisonName: String
    let summary: [String]
    let barChart: String
    let radarChart: String
    let gapChart: String
    let regions: [RegionRow]
    let indicators: [IndicatorPage]
    let rectifications: [RectRow]
    let warnings: [String]
    /// Indicators whose 评价发现 the assessor has not written yet (the page warns before printing).
    let missingFindings: [String]
    let weights: [WeightRow]
    let responses: [ResponseRow]
    let minimumRespondents: String
    /// Side by side with another campaign (last year's by default); nil when there is none to compare with.
    var yearOverYear: YearOverYearSection? = nil
    /// Campaigns that can be compared with (the report page's select).
    var compareOptions: [SelectOption] = []
    /// `&compare=…` to keep the chosen comparison in the PDF, XLSX and region links.
    var compareQuery: String = ""
    /// The region's scores across the campaign's monitoring rounds; nil when no round has scored it.
    var rounds: RoundsWebController.TrendChart? = nil
}

enum ReportBuilder {
    /// What a region is compared with: the first imported benchmark, else the best assessed region per indicator.
    static func comparison(_ result: ScoringResult, regionID: String) -> (name: String, score: (String) -> Double?, overall: Double?) {
        if let b = result.regions.first(where: { $0.isBenchmark }) {
            return (b.name, { b.indicator($0)?.score }, b.overall)
        }
        let others = result.assessed
        return (
            "本次评价最优", { code in others.compactMap { $0.indicator(code)?.score }.max() },
            others.compactMap(\.overall).max()
        )
    }

    static func region(_ result: ScoringResult, _ regionID: String?) -> RegionScore? {
        regionID.flatMap { result.region($0) }.flatMap { $0.isBenchmark ? nil : $0 } ?? result.assessed.first
    }

    static func barChart(_ result: ScoringResult, regionID: String) -> String {
        guard let r = region(result, regionID) else { return "" }
        let cmp = comparison(result, regionID: r.id)
        return SVGChart.scoreBars(
            r.indicators.map { SVGChart.ScoreBar(label: $0.nameZh, score: $0.score, marker: cmp.score($0.code)) },
            title: "\(r.name)各指标得分", markerLabel: "竖线：\(cmp.name)")
    }

    static func gapChart(_ result: ScoringResult, regionID: String?) -> String {
        guard let r = region(result, regionID) else { return "" }
        let cmp = comparison(result, regionID: r.id)
        return SVGChart.gapBars(
            r.indicators.map { i in (label: i.nameZh, gap: i.score.flatMap { s in cmp.score(i.code).map { $0 - s } }) },
            title: "\(r.name)与\(cmp.name)的差距")
    }

    static func radarChart(_ result: ScoringResult, regionID: String) -> String {
        guard let r = region(result, regionID) else { return "" }
        let cmp = comparison(result, regionID: r.id)
        return SVGChart.radar(
            axes: r.indicators.map(\.nameZh),
            series: [
                SVGChart.RadarSeries(label: r.name, values: r.indicators.map(\.score), color: "#1565c0"),
                SVGChart.RadarSeries(label: cmp.name, values: r.indicators.map { cmp.score($0.code) }, color: "#ef6c00"),
            ], title: "\(r.name)指标雷达图")
    }

    static func build(
        _ campaign: Campaign, run: ScoringRun, regionID: String?, compare: String? = nil, scope: RegionScope = .unrestricted, now: Date,
        on db: any Database
    ) async throws -> EvaluationReport {
        let today = AppClock.chinaDay(of: now)
        let cid = try campaign.requireID()
        let result = try run.result(for: scope)
        // A named region that is not an assessed region the account sees is a 404, not silently the first one.
        if let regionID, !regionID.isEmpty, result.region(regionID).map({ !$0.isBenchmark }) != true {
            throw AppError.notFound("被评价地区")
        }
        guard let r = region(result, regionID) else { throw AppError.notFound("被评价地区") }
        let cmp = comparison(result, regionID: r.id)
        let rid = UUID(uuidString: r.id)
        var findings: [String: String] = [:]
        if let rid {
            for f in try await ReportFinding.query(on: db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid).all() {
                findings[f.indicatorCode] = f.text
            }
        }
        let indicatorNames = Dictionary(r.indicators.map { ($0.code, $0.nameZh) }, uniquingKeysWith: { a, _ in a })
        var rects: [EvaluationReport.RectRow] = []
        if let rid {
            let items = try await Rectification.query(on: db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid).sort(\.$deadline).all()
            let units = Dictionary(
                try await Unit.query(on: db).filter(\.$id ~~ Set(items.map { $0.$unit.id })).all().compactMap { u in u.id.map { ($0, u.name) } },
                uniquingKeysWith: { a, _ in a })
            rects = items.map { item in
                EvaluationReport.RectRow(
                    indicator: indicatorNames[item.indicatorCode] ?? item.indicatorCode, problem: item.problem, measures: item.measures,
                    unit: units[item.$unit.id] ?? "", deadline: item.deadline, status: item.rectificationStatus.chineseName,
                    overdue: item.isOverdue(today: today))
            }
        }
        let pages = r.indicators.map { ind -> EvaluationReport.IndicatorPage in
            let subs = ind.subScores.filter { $0.status != .notScored }.map { s in
                EvaluationReport.SubRow(
                    name: s.nameZh, value: s.value.map { $0 + (s.unit ?? "") } ?? "未填报", best: s.best.map { Scoring.fmt($0) } ?? "—",
                    worst: s.worst.map { Scoring.fmt($0) } ?? "—", score: s.score.map(Scoring.fmt2) ?? "—",
                    gap: s.distanceToFrontier.map(Scoring.fmt2) ?? "—", source: s.source?.chineseName ?? "—")
            }
            let survey = ind.subScores.first { $0.source == .survey }
            let c = cmp.score(ind.code)
            let text = findings[ind.code] ?? ""
            return EvaluationReport.IndicatorPage(
                code: ind.code, name: ind.nameZh, score: ind.score.map(Scoring.fmt2) ?? "未填报", scoreValue: ind.score,
                rank: ind.rank.map { "第 \($0)/\(result.assessedCount) 名" } ?? "—",
                comparison: c.map { cs in "\(cmp.name) \(Scoring.fmt2(cs))" + (ind.score.map { "，差距 \(Scoring.fmt2(cs - $0))" } ?? "") } ?? "—",
                subs: subs,
                survey: survey.map { "企业满意度 \($0.score.map(Scoring.fmt2) ?? "—") 分（\($0.note ?? "")）" } ?? "",
                findings: text.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty },
                findingsRaw: text)
        }
        let scored = r.indicators.filter { $0.score != nil }.sorted { ($0.score ?? 0) > ($1.score ?? 0) }
        var summary: [String] = []
        let overallText = r.overall.map(Scoring.fmt2) ?? "未评分"
        summary.append(
            "\(campaign.name)，\(r.name)\(ScoringCoverage(r).summary)；综合得分 \(overallText)"
                + (result.assessedCount > 1 ? "，在 \(result.assessedCount) 个被评价地区中排名第 \(r.rank.map(String.init) ?? "—") 位" : "")
                + (cmp.overall.map { "；\(cmp.name)综合得分 \(Scoring.fmt2($0))" } ?? "") + "。")
        if !scored.isEmpty {
            summary.append("表现较好的指标：" + scored.prefix(3).map { "\($0.nameZh)（\(Scoring.fmt2($0.score ?? 0))）" }.joined(separator: "、") + "。")
            summary.append("相对薄弱的指标：" + scored.suffix(3).reversed().map { "\($0.nameZh)（\(Scoring.fmt2($0.score ?? 0))）" }.joined(separator: "、") + "，建议列入整改。")
        }
        // 预警值/先进值 in force for this campaign and region.
        let marked = Thresholds.findings(result, lines: try await ThresholdService.lines(cid, on: db)).filter { $0.regionID == r.id }
        for (mark, lead) in [(ScoreMark.warning, "低于预警值的指标："), (.advanced, "达到先进值的指标：")] {
            let items = marked.filter { $0.mark == mark }
            guard !items.isEmpty else { continue }
            summary.append(lead + items.map { "\($0.indicatorName)（\(Scoring.fmt2($0.score))，\(mark == .warning ? "预警值" : "先进值") \(Scoring.fmt2($0.threshold))）" }
                .joined(separator: "、") + (mark == .warning ? "，应列入整改。" : "，可总结为典型经验。"))
        }
        let surveyOnly = r.indicators.filter { $0.score == nil && $0.unscoredReason != nil }.map(\.nameZh)
        if !surveyOnly.isEmpty { summary.append("仅有企业问卷数据、无填报或核验值的指标：\(surveyOnly.joined(separator: "、"))，不单独计分，未计入综合得分。") }
        let missing = r.indicators.filter { $0.score == nil && $0.unscoredReason == nil }.map(\.nameZh)
        if !missing.isEmpty { summary.append("未填报或无可评分数据的指标：\(missing.joined(separator: "、"))，未计入综合得分。") }
        // Assessed regions by rank (unranked last), then the benchmarks.
        let ordered = result.regions.sorted { a, b in
            if a.isBenchmark != b.isBenchmark { return !a.isBenchmark }
            return (a.rank ?? Int.max, a.name) < (b.rank ?? Int.max, b.name)
        }
        let regionRows = ordered.map {
            EvaluationReport.RegionRow(
                name: $0.name, overall: $0.overall.map(Scoring.fmt2) ?? "未评分",
                rank: $0.isBenchmark ? "对标" : result.assessedCount > 1 ? ($0.rank.map { "第 \($0) 名" } ?? "—") : "（单一地区，不排名）",
                isBenchmark: $0.isBenchmark, active: $0.id == r.id, id: $0.id)
        }
        var report = EvaluationReport(
            campaignID: cid.uuidString, campaignName: campaign.name, regionID: r.id, regionName: r.name, generatedAt: DisplayTime.format(now),
            run: "第 \(run.number) 次评分（\(DisplayTime.format(run.createdAt))，指标体系 V\((try? run.inputs().catalogVersion) ?? "")）",
            overall: overallText, rank: r.rank.map { "第 \($0)/\(result.assessedCount) 名" } ?? "—", assessedCount: result.assessedCount,
            multiRegion: result.assessedCount > 1, comparisonName: cmp.name, summary: summary,
            barChart: barChart(result, regionID: r.id), radarChart: radarChart(result, regionID: r.id), gapChart: gapChart(result, regionID: r.id),
            regions: regionRows, indicators: pages, rectifications: rects,
            warnings: result.warnings.filter { $0.hasPrefix(r.name) },
            missingFindings: pages.filter { $0.findings.isEmpty }.map(\.name),
            weights: weightRows(r), responses: try await responseRows(campaign, on: db),
            minimumRespondents: (try? run.inputs().minimumRespondents).flatMap { $0 }.map { "问卷类二级指标至少 \($0) 家企业回答才计分" } ?? "问卷类二级指标未设最少回答数")
        let other = try await YearOverYearReport.other(for: campaign, compare: compare, scope: scope, on: db)
        if let other {
            report.yearOverYear = try await YearOverYearReport.section(current: result, regionID: r.id, other: other, on: db)
        }
        report.compareOptions = try await YearOverYearReport.options(for: campaign, selected: other?.id, scope: scope, on: db)
        if let compare, !compare.isEmpty { report.compareQuery = "&compare=" + (other?.id?.uuidString ?? "none") }
        if campaign.parentCampaignID == nil {
            report.rounds = RoundsWebController.regionChart(try await RoundService.list(of: campaign, scope: scope, on: db).trend, regionID: r.id)
        }
        return report
    }

    static func weightRows(_ r: RegionScore) -> [EvaluationReport.WeightRow] {
        r.indicators.flatMap { ind in
            ind.subScores.map { s in
                EvaluationReport.WeightRow(
                    indicator: ind.nameZh, indicatorWeight: Scoring.fmt(ind.weight), sub: s.nameZh + (s.unit.map { "（\($0)）" } ?? ""),
                    weight: Scoring.fmt(s.weight), best: s.best.map(Scoring.fmt) ?? "—", worst: s.worst.map(Scoring.fmt) ?? "—",
                    direction: {
                        guard let b = s.best, let w = s.worst else { return "是/否或选项按分值" }
                        return b < w ? "越低越好" : "越高越好"
                    }())
            }
        }
    }

    static func responseRows(_ campaign: Campaign, on db: any Database) async throws -> [EvaluationReport.ResponseRow] {
        let cid = try campaign.requireID()
        guard let template = try await SurveyService.currentTemplate(campaign, on: db).template else { return [] }
        let draws = try await SampleDraw.query(on: db).filter(\.$campaign.$id == cid).all()
        let planned = Dictionary(uniqueKeysWithValues: draws.compactMap { d in d.id.map { ($0, d.allocation.reduce(0) { $0 + $1.sample }) } })
        return try await SurveyEstimates.byDraw(campaignID: cid, template: template, on: db).enumerated().map { i, e in
            let n = planned[e.drawID] ?? 0
            let r = e.result?.respondents ?? 0
            return EvaluationReport.ResponseRow(
                draw: "第 \(i + 1) 次抽样（\(e.drawnAt.map { String(DisplayTime.format($0).prefix(10)) } ?? "")）", planned: String(n), respondents: String(r),
                rate: Display.percent(r, of: n, digits: 1),
                index: e.result.map { res in Scoring.fmt2(res.mean) + (res.halfWidth95.map { "（95% 区间 ±\(Scoring.fmt2($0))）" } ?? "") } ?? "无回答")
        }
    }

    /// All tables of the report as one workbook: regions, indicator scores, sub-indicators, rectification ledger.
    static func workbook(_ report: EvaluationReport, result: ScoringResult, units: [EvaluationUnitRow]) throws -> [Sheet] {
        func num(_ d: Double?) -> YingshangOffice.Cell { d.map { .number(($0 * 100).rounded() / 100) } ?? .text("未评分") }
        var overview: [[YingshangOffice.Cell]] = [[.text("地区"), .text("综合得分"), .text("排名"), .text("类型")]]
        for r in result.regions {
            overview.append([.text(r.name), num(r.overall), r.rank.map { .number(Double($0)) } ?? .empty, .text(r.isBenchmark ? "对标" : "被评价")])
        }
        var scores: [[YingshangOffice.Cell]] = [[.text("地区"), .text("指标"), .text("得分"), .text("排名"), .text("权重")]]
        var subs: [[YingshangOffice.Cell]] = [[
            .text("地区"), .text("指标"), .text("二级指标"), .text("数值"), .text("单位"), .text("前沿值"), .text("最差值"), .text("得分"),
            .text("距前沿"), .text("权重"), .text("数据来源"), .text("说明"),
        ]]
        for r in result.regions {
            for i in r.indicators {
                scores.append([.text(r.name), .text(i.nameZh), num(i.score), i.rank.map { .number(Double($0)) } ?? .empty, .number(i.weight)])
                for s in i.subScores where s.status != .notScored {
                    subs.append([
                        .text(r.name), .text(i.nameZh), .text(s.nameZh), .text(s.value ?? "未填报"), .text(s.unit ?? ""),
                        s.best.map { .number($0) } ?? .empty, s.worst.map { .number($0) } ?? .empty, num(s.score),
                        s.distanceToFrontier.map { .number(($0 * 100).rounded() / 100) } ?? .empty, .number(s.weight),
                        .text(s.source?.chineseName ?? ""), .text(s.note ?? s.explanation),
                    ])
                }
            }
        }
        var ledger: [[YingshangOffice.Cell]] = [[.text("序号"), .text("指标"), .text("问题"), .text("整改措施"), .text("责任单位"), .text("完成时限"), .text("状态")]]
        for (i, r) in report.rectifications.enumerated() {
            ledger.append([.number(Double(i + 1)), .text(r.indicator), .text(r.problem), .text(r.measures), .text(r.unit), .text(r.deadline), .text(r.status + (r.overdue ? "（逾期）" : ""))])
        }
        var unitSheet: [[YingshangOffice.Cell]] = [[.text("单位"), .text("基础得分"), .text("加减分"), .text("考核得分"), .text("加减分明细")]]
        for u in units {
            unitSheet.append([.text(u.unit), .text(u.base), .text(u.adjustments), .text(u.total), .text(u.items)])
        }
        return [
            Sheet(name: "总览", rows: overview), Sheet(name: "指标得分", rows: scores), Sheet(name: "二级指标", rows: subs),
            Sheet(name: "单位考核", rows: unitSheet), Sheet(name: "整改台账", rows: ledger),
        ]
    }
}

struct EvaluationUnitRow {
    let unit: String
    let base: String
    let adjustments: String
    let total: String
    let items: String
}
