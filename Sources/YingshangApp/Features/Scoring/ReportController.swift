import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// The evaluation report (HTML with print styles, PDF via headless Chromium, XLSX), the assessor's findings and the
/// leaders' one-page overview.
struct ReportController {
    struct Context: Encodable {
        let body: EvaluationReport
        let standalone: Bool
        let canEdit: Bool
    }

    func register(_ g: Guarded) {
        // The report reads the scoring run, the survey results and the ledger and lays them out: on the CPU threads.
        g.get("campaigns", ":id", "report", action: .viewScores, use: CPUWork.whole(html))
        g.get("campaigns", ":id", "report.pdf", action: .viewScores, use: CPUWork.whole(pdf))
        g.get("campaigns", ":id", "report.xlsx", action: .viewScores, use: CPUWork.whole(xlsx))
        g.get("campaigns", ":id", "report", "findings", action: .runScoring, use: findingsForm)
        g.post("campaigns", ":id", "report", "findings", action: .runScoring, use: saveFindings)
        g.get("campaigns", ":id", "overview", action: .viewScores, use: overview)
    }

    static func report(_ req: Request) async throws -> (Campaign, ScoringRun, EvaluationReport) {
        let c = try await req.loadCampaign()
        let run = try await ScoringService.requireLatest(c, on: req.db)
        let report = try await ReportBuilder.build(
            c, run: run, regionID: req.query[String.self, at: "region"], compare: req.query[String.self, at: "compare"],
            scope: req.regionScope(), now: req.clock.now(), on: req.db)
        return (c, run, report)
    }

    /// Before the first scoring run the report and overview links explain what is missing instead of failing.
    static func notScoredPage(_ req: Request) async throws -> View? {
        let c = try await req.loadCampaign()
        guard try await ScoringService.latest(c, on: req.db) == nil else { return nil }
        let cid = try c.requireID()
        let canRun = req.offers(.runScoring)
        return try await req.render(
            "shared/notice", title: "尚未评分",
            NoticePage(
                heading: "\(c.name)尚未评分",
                message: canRun
                    ? "评价报告和领导总览在第一次评分后生成。请在“评分与排名”页面运行评分。"
                    : "评价报告和领导总览在审批局或评估机构运行评分后生成，届时可在此查看。",
                links: [.init(href: SiteURL.campaign(cid, .scores), label: "评分与排名"), .init(href: SiteURL.campaign(cid), label: "返回评价任务")]))
    }

    @Sendable func html(req: Request) async throws -> View {
        if let page = try await Self.notScoredPage(req) { return page }
        let (_, _, report) = try await Self.report(req)
        return try await req.view.render(
            "report/report", Context(body: report, standalone: false, canEdit: req.offers(.runScoring)))
    }

    static func renderPDF(_ report: EvaluationReport, view: any ViewRenderer, logger: Logger? = nil) async throws -> Data {
        guard let chromium = PDFRenderer.chromiumPath() else {
            throw AppError(
                status: .serviceUnavailable, code: "pdf_unavailable",
                message: "服务器未安装 Chromium，无法生成 PDF；请打开报告页面用浏览器“打印 → 另存为 PDF”（安装方法见 README）")
        }
        let v = try await view.render("report/report", Context(body: report, standalone: true, canEdit: false)).get()
        return try await PDFRenderer.render(html: String(buffer: v.data), chromium: chromium, logger: logger)
    }

    @Sendable func pdf(req: Request) async throws -> Response {
        let (_, _, report) = try await Self.report(req)
        let data = try await Self.renderPDF(report, view: req.view, logger: req.logger)
        return Downloads.file(data, name: "评价报告-\(report.regionName).pdf", type: "application/pdf")
    }

    /// The report's workbook: overview, scores, sub-indicators, the unit assessment and the rectification ledger.
    static func workbook(
        _ c: Campaign, run: ScoringRun, report: EvaluationReport, today: Day, scope: RegionScope = .unrestricted, on db: any Database
    ) async throws -> [Sheet] {
        let table = try await ScoringService.unitTable(c, run: run, today: today, on: db)
        let rows = try await UnitAssessmentWebController.unitRows(table, on: db).map {
            EvaluationUnitRow(unit: $0.unit, base: $0.base, adjustments: $0.adjustments, total: $0.total, items: $0.items.map { "\($0.description)（\($0.points)）" }.joined(separator: "；"))
        }
        return try ReportBuilder.workbook(report, result: try run.result(for: scope), units: rows)
    }

    @Sendable func xlsx(req: Request) async throws -> Response {
        let (c, run, report) = try await Self.report(req)
        let sheets = try await Self.workbook(c, run: run, report: report, today: req.clock.today, scope: req.regionScope(), on: req.db)
        return try await Downloads.workbook(sheets, name: "评价报告-\(report.regionName).xlsx", req: req)
    }

    struct FindingsBody: Encodable {
        let report: EvaluationReport
        let errors: [String: String]
    }

    @Sendable func findingsForm(req: Request) async throws -> View {
        let (_, _, report) = try await Self.report(req)
        return try await req.render("report/findings", title: "撰写评价发现", FindingsBody(report: report, errors: [:]))
    }

    /// Form fields `findings[CODE]`; each text up to 5000 characters; all saved together or none.
    @Sendable func saveFindings(req: Request) async throws -> Response {
        let (c, _, report) = try await Self.report(req)
        let cid = try c.requireID()
        guard let rid = UUID(uuidString: report.regionID) else { throw AppError.notFound("被评价地区") }
        let texts = (try? req.content.get([String: String].self, at: "findings")) ?? [:]
        let codes = Set(report.indicators.map(\.code))
        var errors: [String: String] = [:]
        for (code, text) in texts {
            if !codes.contains(code) { errors["findings[\(code)]"] = "指标 \(code) 不在本报告中" }
            if text.count > 5000 { errors["findings[\(code)]"] = "评价发现不超过 5000 字" }
        }
        return try await req.submitForm(
            successMessage: "已保存评价发现", redirectTo: "/campaigns/\(cid)/report?region=\(report.regionID)",
            renderForm: { try await req.render("report/findings", title: "撰写评价发现", FindingsBody(report: report, errors: $0)) },
            write: {
                if !errors.isEmpty { throw AppError.invalid(errors) }
                let user = try req.currentUser()
                try await req.db.writeTransaction { db in
                    for (code, raw) in texts.sorted(by: { $0.key < $1.key }) {
                        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                        let existing = try await ReportFinding.query(on: db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid)
                            .filter(\.$indicatorCode == code).first()
                        if existing?.text == text || (existing == nil && text.isEmpty) { continue }
                        let row = existing ?? ReportFinding(campaignID: cid, regionID: rid, indicatorCode: code, text: text, by: user.username)
                        let before = existing?.text
                        row.text = text
                        row.updatedBy = user.username
                        try await row.save(on: db)
                        try await AuditLog.record(
                            on: db, req: req, actor: user, action: "update", entityType: "report_finding", entityID: row.id,
                            before: before.map { ["text": $0] }, after: ["indicator": code, "text": text])
                    }
                }
            })
    }

    struct OverviewBody: Encodable {
        let report: EvaluationReport
        let overdueRectifications: Int
        let openRectifications: Int
        let weakest: [String]
        let canCockpit: Bool
        /// Indicators below their warning value (red) and at their advanced value, as "name score".
        let belowWarning: [String]
        let atAdvanced: [String]
    }

    @Sendable func overview(req: Request) async throws -> View {
        if let page = try await Self.notScoredPage(req) { return page }
        let (c, run, report) = try await Self.report(req)
        let cid = try c.requireID()
        let today = req.clock.today
        let marks = Thresholds.findings(try run.result(for: req.resolvedRegionScope), lines: try await ThresholdService.lines(cid, on: req.db))
            .filter { $0.regionID == report.regionID }
        let items = try await Rectification.query(on: req.db).filter(\.$campaign.$id == cid).all()
        let open = items.filter { !$0.rectificationStatus.isClosed }
        let overdue = open.filter { $0.isOverdue(today: today) }
        let weakest = report.indicators.filter { $0.scoreValue != nil }.sorted { ($0.scoreValue ?? 0) < ($1.scoreValue ?? 0) }.prefix(3)
            .map { "\($0.name) \($0.score)" }
        return try await req.render(
            "report/overview", title: "评价总览",
            OverviewBody(
                report: report, overdueRectifications: overdue.count, openRectifications: open.count, weakest: Array(weakest),
                canCockpit: Permissions.allows(try req.currentRole(), .viewCockpit),
                belowWarning: marks.filter { $0.mark == .warning }.map { "\($0.indicatorName) \(Scoring.fmt2($0.score))" },
                atAdvanced: marks.filter { $0.mark == .advanced }.map { "\($0.indicatorName) \(Scoring.fmt2($0.score))" }))
    }
}
