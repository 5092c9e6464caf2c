import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/scores` and `/campaigns/:id/scores…`: scoring runs, ranks, explanations, rules, the unit table and benchmarks.
struct ScoresWebController {
    func register(_ g: Guarded) {
        g.get("scores", action: .viewScores, use: campaigns)
        g.get("campaigns", ":id", "scores", action: .viewScores, use: show)
        g.get("campaigns", ":id", "scores.xlsx", action: .viewScores, use: showXLSX)
        g.post("campaigns", ":id", "scores", "run", action: .runScoring, use: run)
        g.post("campaigns", ":id", "scores", "runs", ":runID", "recompute", action: .viewScores, use: recompute)
        g.get("campaigns", ":id", "scores", "explain", action: .viewScores, use: explain)
    }

    // MARK: Campaign list
    struct CampaignRow: Encodable {
        let id: String
        let name: String
        let year: Int
        let lastRun: String
    }

    @Sendable func campaigns(req: Request) async throws -> View {
        let list = try await req.visibleCampaigns().sort(\.$year, .descending).sort(\.$name).all()
        var rows: [CampaignRow] = []
        for c in list {
            let run = try await ScoringService.latest(c, on: req.db)
            rows.append(
                CampaignRow(
                    id: try c.requireID().uuidString, name: c.name, year: c.year,
                    lastRun: run.map { "第 \($0.number) 次评分 · \(DisplayTime.format($0.createdAt))" } ?? "尚未评分"))
        }
        return try await req.render("scores/index", title: "评分与报告", ["campaigns": rows])
    }

    // MARK: Score table
    struct Column: Encodable {
        let id: String
        let name: String
        let isBenchmark: Bool
    }

    struct Cell: Encodable {
        let score: String
        let rank: String
        let href: String
        let missing: Bool
        /// The region's name: the cell's label when the table becomes cards on a phone.
        let label: String
        /// "warning" or "advanced" against the campaign's 预警值/先进值, "" otherwise; and what to say.
        var mark: String = ""
        var markText: String = ""
    }

    struct Row: Encodable {
        let code: String
        let name: String
        let cells: [Cell]
    }

    struct ShowBody: Encodable {
        let campaignID: String
        let campaignName: String
        let run: String
        let hasRun: Bool
        let columns: [Column]
        let rows: [Row]
        let overall: [Cell]
        let warnings: [String]
        let chart: String
        let canRun: Bool
        let canRules: Bool
        let assessedCount: Int
        let runID: String
    }

    /// The score and rank table as shown: one row per indicator, a score and a rank column per region.
    @Sendable func showXLSX(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        guard let run = try await ScoringService.latest(c, on: req.db) else { throw AppError.conflict("尚未评分，没有得分可导出") }
        let result = try run.result(for: req.resolvedRegionScope)
        let header = ["指标代码", "指标"] + result.regions.flatMap { ["\($0.name) 得分", "\($0.name) 排名"] }
        let rows = (result.regions.first?.indicators ?? []).map { ind in
            [ind.code, ind.nameZh] + result.regions.flatMap { r -> [String] in
                let s = r.indicator(ind.code)
                return [s?.score.map(Scoring.fmt2) ?? "未填报", s?.rank.map(String.init) ?? ""]
            }
        }
        let overall = ["", "总分"] + result.regions.flatMap { [$0.overall.map(Scoring.fmt2) ?? "未评分", $0.rank.map(String.init) ?? ""] }
        return try await Downloads.xlsx(name: "\(c.name)-评分与排名.xlsx", sheet: "评分与排名", rows: [header] + rows + [overall], textColumns: [0, 1], req: req)
    }

    @Sendable func show(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        let cid = try c.requireID().uuidString
        _ = try req.currentRole()  // signed in with a role (401 otherwise) before anything is read
        guard let run = try await ScoringService.latest(c, on: req.db) else {
            return try await req.render(
                "scores/show", title: "评分与排名",
                ShowBody(
                    campaignID: cid, campaignName: c.name, run: "", hasRun: false, columns: [], rows: [], overall: [], warnings: [],
                    chart: "", canRun: req.offers(.runScoring), canRules: req.offers(.manageScoreRules),
                    assessedCount: 0, runID: ""))
        }
        let result = try run.result(for: req.resolvedRegionScope)
        let columns = result.regions.map { Column(id: $0.id, name: $0.name, isBenchmark: $0.isBenchmark) }
        let codes = result.regions.first?.indicators.map { ($0.code, $0.nameZh) } ?? []
        let thresholds = try await ThresholdService.lines(try c.requireID(), on: req.db)
        func cell(_ r: RegionScore, _ code: String) -> Cell {
            let ind = r.indicator(code)
            let line = r.isBenchmark ? nil : Thresholds.resolve(code, regionID: r.id, in: thresholds)
            let mark = Thresholds.mark(score: ind?.score, line)
            let value = mark == .warning ? line?.warning : line?.advanced
            return Cell(
                score: ind?.score.map(Scoring.fmt2) ?? "未填报", rank: result.assessedCount > 1 ? ind?.rank.map { "第 \($0) 名" } ?? "" : "",
                href: "/campaigns/\(cid)/scores/explain?region=\(r.id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&indicator=\(code)",
                missing: ind?.score == nil, label: r.name, mark: mark == .normal ? "" : mark.rawValue,
                markText: mark == .normal ? "" : "\(mark.chineseName) \(value.map(Scoring.fmt2) ?? "")")
        }
        let rows = codes.map { code, name in Row(code: code, name: name, cells: result.regions.map { cell($0, code) }) }
        let overall = result.regions.map {
            Cell(
                score: $0.overall.map(Scoring.fmt2) ?? "未评分", rank: result.assessedCount > 1 ? $0.rank.map { "第 \($0) 名" } ?? "" : "", href: "",
                missing: $0.overall == nil, label: $0.name)
        }
        let chart = ReportBuilder.barChart(result, regionID: result.assessed.first?.id ?? "")
        return try await req.render(
            "scores/show", title: "评分与排名",
            ShowBody(
                campaignID: cid, campaignName: c.name,
                run: "第 \(run.number) 次评分 · \(DisplayTime.format(run.createdAt)) · \(run.createdBy) · 指标体系 V\((try? run.inputs().catalogVersion) ?? "")",
                hasRun: true, columns: columns, rows: rows, overall: overall, warnings: result.warnings, chart: chart,
                canRun: req.offers(.runScoring), canRules: req.offers(.manageScoreRules),
                assessedCount: result.assessedCount, runID: try run.requireID().uuidString))
    }

    @Sendable func run(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        do {
            let run = try await ScoringService.run(c, by: req.caller(), clock: req.clock, on: req.db)
            let warnings = run.warnings
            req.setFlash("已完成第 \(run.number) 次评分" + (warnings > 0 ? "；\(warnings) 项数据缺失或无法评分，见下方清单" : ""))
        } catch let e as AppError where e.status == .unprocessableEntity {
            req.setFlash((e.fields ?? [:]).values.sorted().joined(separator: "；").nonBlank ?? e.message, kind: "error")
        }
        return req.redirect(to: SiteURL.campaign(cid, .scores))
    }

    /// Re-runs the pure scoring on the inputs stored with a run and says whether every number comes out the same.
    @Sendable func recompute(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let run = try await req.loadScoringRun(of: c)
        let again = try Scoring.run(try run.inputs())
        if again == (try run.result()) {
            req.setFlash("复算一致：按第 \(run.number) 次评分保存的输入重新计算，全部得分与排名相同")
        } else {
            req.setFlash("复算不一致：请联系系统管理员（第 \(run.number) 次评分）", kind: "error")
        }
        return req.redirect(to: try c.url(.scores))
    }

    // MARK: Explanation
    struct ExplainBody: Encodable {
        let campaignID: String
        let region: String
        let indicator: String
        let score: String
        let rank: String
        let weight: String
        let subs: [ExplainRow]
        let formula: String
        let run: String
        /// B-READY-style indicators: the pillar column and each pillar's score.
        let pillared: Bool
        let pillars: [String]
    }

    struct ExplainRow: Encodable {
        let pillar: String
        let name: String
        let value: String
        let source: String
        let note: String
        let explanation: String
        let score: String
        let weight: String
    }

    @Sendable func explain(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        let run = try await ScoringService.requireLatest(c, on: req.db)
        let result = try run.result(for: req.resolvedRegionScope)
        guard let region = result.region(req.query[String.self, at: "region"] ?? ""),
            let ind = region.indicator(req.query[String.self, at: "indicator"] ?? "")
        else { throw AppError.notFound("评分项") }
        let formula = ind.formula
        let subs = ind.subScores.map { s in
            ExplainRow(
                pillar: s.pillar.map { "\($0.roman) \($0.chineseName)" } ?? "",
                name: s.nameZh, value: s.value.map { $0 + (s.unit.map { " \($0)" } ?? "") } ?? (s.source == nil && s.pillar == .operationalEfficiency ? "无数据" : "未填报"),
                source: s.source?.chineseName ?? "—", note: s.note ?? "", explanation: s.explanation,
                score: s.score.map(Scoring.fmt2) ?? "—", weight: Scoring.fmt(s.weight))
        }
        return try await req.render(
            "scores/explain", title: "得分说明",
            ExplainBody(
                campaignID: try c.requireID().uuidString, region: region.name, indicator: ind.nameZh,
                score: ind.score.map(Scoring.fmt2) ?? "未填报",
                rank: result.assessedCount > 1 ? ind.rank.map { "第 \($0)/\(result.assessedCount) 名" } ?? "—" : "单一地区",
                weight: Scoring.fmt(ind.weight), subs: subs, formula: formula,
                run: "第 \(run.number) 次评分 · \(DisplayTime.format(run.createdAt))",
                pillared: ind.subScores.contains { $0.pillar != nil },
                pillars: (ind.pillars ?? []).map { "支柱 \($0.pillar.roman) \($0.pillar.chineseName) \(Scoring.fmt2($0.score))" }))
    }

}
