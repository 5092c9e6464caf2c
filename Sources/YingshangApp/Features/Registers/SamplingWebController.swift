import Fluent
import SQLKit
import Vapor
import YingshangCore
import YingshangOffice

/// `/campaigns/:id/samples`: stratified draws — the allocation previewed before anything is drawn, the draw, its
/// members by stratum, the CSV and replacements of unreachable or refusing enterprises.
struct SamplingWebController {
    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "samples", action: .viewRegister, use: CPUWork.whole(samples))
        g.post("campaigns", ":id", "samples", "preview", action: .drawSamples, use: preview)
        g.post("campaigns", ":id", "samples", action: .drawSamples, use: draw)
        // A draw's page and its list read every member's answer state (40,000 for a large survey): on the CPU threads.
        g.get("samples", ":drawID", action: .viewRegister, use: CPUWork.whole(showDraw))
        g.get("samples", ":drawID", "export.csv", action: .viewRegister, use: CPUWork.whole(exportDraw))
        g.post("samples", ":drawID", "members", ":memberID", "replace", action: .drawSamples, use: replace)
    }

    private func samplesPage(
        _ req: Request, preview: [AllocationRow] = [], form: DrawParameters? = nil, typed: DrawForm? = nil, errors: [String: String] = [:],
        sdNote: String = ""
    ) async throws -> View {
        let c = try await req.loadCampaign()
        var extraColumns: [String] = []
        if let snapshot = try await RegisterSnapshot.number(of: try c.requireID(), on: req.db) {
            extraColumns = try await RegisterQueries.extraKeys(snapshot, on: req.db)
        }
        let draws = try await SampleDraw.query(on: req.db).filter(\.$campaign.$id == (try c.requireID())).sort(\.$createdAt, .descending).all()
        var sdSuggestion = "", sdSource = ""
        if let template = try await SurveyService.currentTemplate(c, on: req.db).template,
            let previous = try await SurveyEstimates.previousStandardDeviations(campaignID: try c.requireID(), template: template, on: req.db)
        {
            let names = try await StratumLabels.townshipNames(on: req.db)
            sdSuggestion = previous.sd.sorted { $0.key < $1.key }.map { "\(StratumLabels.label($0.key, names))=\(Display.fixed($0.value))" }
                .joined(separator: "\n")
            sdSource = "\(DisplayTime.format(previous.draw.createdAt).prefix(10)) 抽样的问卷结果（分层：\(previous.draw.parameters?.strata.joined(separator: "×") ?? "")；"
                + "各层满意度指数的标准差，回答不足 2 家的层未列出）"
        }
        return try await req.render(
            "registers/samples", title: "抽样",
            SamplesBody(
                campaignID: try c.requireID().uuidString,
                draws: draws.map { d in
                    let p = d.parameters
                    return DrawRow(
                        id: d.id?.uuidString ?? "", drawnBy: d.drawnBy, at: DisplayTime.format(d.createdAt), size: p?.size ?? 0,
                        summary: p.map { "分层：\($0.strata.joined(separator: "×"))；\($0.allocation.chineseName)；种子 \($0.seed)" } ?? "")
                },
                canDraw: req.offers(.drawSamples), preview: preview, form: form, errors: errors,
                seedSuggestion: UInt64(req.clock.now().timeIntervalSince1970), statuses: EnterpriseRegister.statuses,
                view: FormView(typed, seedSuggestion: UInt64(req.clock.now().timeIntervalSince1970), statuses: EnterpriseRegister.statuses),
                sdSuggestion: sdSuggestion, sdSource: sdSource,
                sdColumns: extraColumns.map { SelectOption(value: $0, label: $0, selected: $0 == typed?.sdColumn) }, sdNote: sdNote))
    }

    @Sendable func samples(req: Request) async throws -> View {
        try await samplesPage(req)
    }

    /// Shows the allocation table (N_h, n_h, reserve) before anything is drawn.
    @Sendable func preview(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        var typed = try req.content.decode(DrawForm.self)
        var sdNote = ""
        if typed.fillSD != nil, let column = typed.sdColumn?.nonBlank {
            let (p, _) = typed.parsed
            let proxy = try await SampleService.proxyDeviations(try c.requireID(), p, column: column, on: req.db)
            let strata = try await SampleService.frame(try c.requireID(), p, on: req.db).keys.sorted()
            if let sd = proxy.standardDeviations(for: strata) {
                let names = try await StratumLabels.townshipNames(on: req.db)
                typed.sd = sd.sorted { $0.key < $1.key }.map { "\(StratumLabels.label($0.key, names))=\(Display.fixed($0.value))" }
                    .joined(separator: "\n")
                let missing = proxy.missing(from: strata)
                sdNote = "已由名单“\(column)”列计算各层标准差（\(proxy.overall.count) 家企业的数值）"
                    + (missing.isEmpty ? "" : "；\(missing.count) 层数值少于 2 个或全相同，用全部企业的标准差 \(Display.fixed(proxy.overall.sampleStandardDeviation ?? 0))")
                    + (proxy.notNumbers == 0 ? "" : "；\(proxy.notNumbers) 个单元格不是数字，未计入") + "。"
            } else {
                sdNote = "名单“\(column)”列的数值不足以计算标准差（至少需要 2 个不同的数值）。"
            }
        }
        var (p, fieldErrors) = typed.parsed
        p.sd = try await StratumLabels.resolveStratumNames(p.sd, on: req.db)
        var errors = fieldErrors.isEmpty ? SampleService.validate(p) : fieldErrors
        var rows: [AllocationRow] = []
        if errors.isEmpty {
            do {
                rows = try SampleService.allocate(try await SampleService.frame(try c.requireID(), p, on: req.db), p)
            } catch let e as AppError { errors = e.fields ?? ["size": e.message] }
        }
        let res = try await samplesPage(req, preview: try await StratumLabels.labeled(rows, on: req.db), form: p, typed: typed, errors: errors, sdNote: sdNote)
            .encodeResponse(for: req)
        if !errors.isEmpty { res.status = .unprocessableEntity }
        return res
    }

    @Sendable func draw(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let typed = try req.content.decode(DrawForm.self)
        var (p, fieldErrors) = typed.parsed
        p.sd = try await StratumLabels.resolveStratumNames(p.sd, on: req.db)
        let errors = fieldErrors.isEmpty ? SampleService.validate(p) : fieldErrors
        if !errors.isEmpty {
            let res = try await samplesPage(req, form: p, typed: typed, errors: errors).encodeResponse(for: req)
            res.status = .unprocessableEntity
            return res
        }
        let draw: SampleDraw
        do {
            draw = try await SampleService.draw(try c.requireID(), p, by: req.caller(), clock: req.clock, on: req.db)
        } catch let e as AppError where e.status == .unprocessableEntity {
            let res = try await samplesPage(req, form: p, typed: typed, errors: e.fields ?? [:]).encodeResponse(for: req)
            res.status = .unprocessableEntity
            return res
        }
        req.setFlash("已抽样")
        return req.redirect(to: SiteURL.draw(try draw.requireID()))
    }

    @Sendable func showDraw(req: Request) async throws -> View {
        let d = try await req.loadDraw()
        return try await req.render(
            "registers/draw", title: "抽样结果",
            try await Self.drawBody(
                d, role: try req.currentRole(), canDraw: req.offers(.drawSamples), page: ListQuery(req).page, on: req.db))
    }

    @Sendable func exportDraw(req: Request) async throws -> Response {
        let d = try await req.loadDraw()
        let rows = [["层", "角色", "顺序", "统一社会信用代码", "企业名称", "状态", "原因"]]
            + (try await SampleService.members(d, on: req.db)).map { m in
                [m.stratum, m.role == "sample" ? "样本" : "备选", String(m.position + 1), m.uscc, m.name, m.status, m.reason ?? ""]
            }
        let table = [["层", "企业数 N_h", "样本 n_h", "备选"]] + d.allocation.map { [$0.stratum, String($0.population), String($0.sample), String($0.reserve)] }
        return Downloads.file(CSVWriter.write(table + [[]] + rows), name: "抽样结果.csv", type: "text/csv; charset=utf-8")
    }

    @Sendable func replace(req: Request) async throws -> Response {
        let d = try await req.loadDraw()
        guard let m = try await SampleMember.find(try req.uuidParameter("memberID"), on: req.db), m.$draw.id == d.id
        else { throw AppError.notFound("样本企业") }
        let form = try req.content.decode(ReplaceForm.self)
        let target = SiteURL.draw(try d.requireID())
        do {
            let next = try await SampleService.replace(m, status: form.status.trimmed, reason: form.reason.trimmed, by: req.caller())
            req.setFlash(next == nil ? "已标记；该层备选企业已用完" : "已替换为该层下一家备选企业")
        } catch let e as AppError where e.status == .unprocessableEntity || e.status == .conflict {
            req.setFlash(([e.message] + (e.fields ?? [:]).values.sorted()).joined(separator: "："), kind: "error")
        }
        return req.redirect(to: target)
    }
}
