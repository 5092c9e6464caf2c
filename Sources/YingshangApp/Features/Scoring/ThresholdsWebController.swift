import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/campaigns/:id/scores/thresholds`: the campaign-wide 预警值 and 先进值 of each indicator score.
struct ThresholdsWebController {
    struct Line: Encodable {
        let code: String
        let name: String
        let warning: String
        let advanced: String
        let error: String
    }

    struct Body: Encodable {
        let campaignID: String
        let campaignName: String
        let lines: [Line]
        let canEdit: Bool
        let error: String
        /// Problems of an imported table, by row.
        var importProblems: [String] = []
        /// Lines for single regions (set through the table), shown for reference.
        var regional: [String] = []
    }

    struct Form: Content {
        var code: [String]?
        var warning: [String]?
        var advanced: [String]?
    }

    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "scores", "thresholds", action: .viewScores, use: show)
        g.post("campaigns", ":id", "scores", "thresholds", action: .manageScoreRules, use: save)
        g.get("campaigns", ":id", "scores", "thresholds.xlsx", action: .viewScores, use: export)
        g.post("campaigns", ":id", "scores", "thresholds", "import", action: .manageScoreRules, maxBody: 5 << 20, use: importTable)
    }

    private func page(_ req: Request, _ c: Campaign, lines: [Line], error: String = "", importProblems: [String] = []) async throws -> View {
        let cid = try c.requireID()
        let d = try await CampaignService.details(c, on: req.db)
        let names = Dictionary(d.regions.compactMap { r in r.id.map { ($0.uuidString, r.name) } }, uniquingKeysWith: { a, _ in a })
        let indicatorNames = Dictionary(d.indicators.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let regional = try await ThresholdService.lines(cid, on: req.db).filter { $0.regionID != nil }.map { t in
            "\(names[t.regionID ?? ""] ?? "")·\(indicatorNames[t.indicatorCode] ?? t.indicatorCode)：预警值 \(t.warning.map(Scoring.fmt2) ?? "—")，先进值 \(t.advanced.map(Scoring.fmt2) ?? "—")"
        }
        return try await req.render(
            "scores/thresholds", title: "预警值与先进值",
            Body(
                campaignID: cid.uuidString, campaignName: c.name, lines: lines,
                canEdit: req.offers(.manageScoreRules), error: error, importProblems: importProblems,
                regional: regional))
    }

    /// Every line, campaign-wide and per region, as the table `importTable` reads back.
    @Sendable func export(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let d = try await CampaignService.details(c, on: req.db)
        let saved = try await ThresholdService.lines(try c.requireID(), on: req.db)
        var rows: [[Cell]] = [ThresholdTable.header.map { .text($0) }]
        let regions = [(code: "", name: "全部被评价地区", id: String?.none)] + d.regions.map { (code: $0.code, name: $0.name, id: $0.id?.uuidString) }
        for ind in d.indicators {
            for r in regions {
                let t = saved.first { $0.indicatorCode == ind.code && $0.regionID == r.id }
                // Every indicator once campaign-wide (to fill in); region rows only where a line exists.
                if r.id != nil && t == nil { continue }
                rows.append([.text(ind.code), .text(ind.name), .text(r.code), .text(r.name),
                             t?.warning.map { .number($0) } ?? .empty, t?.advanced.map { .number($0) } ?? .empty])
            }
        }
        return try await Downloads.workbook([Sheet(name: "预警值先进值", rows: rows)], name: "预警值先进值-\(c.name).xlsx", req: req)
    }

    struct ImportForm: Content {
        var file: File?
    }

    /// Replaces every line with the table's, or changes nothing and names each bad row.
    @Sendable func importTable(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        let d = try await CampaignService.details(c, on: req.db)
        func fail(_ problems: [String]) async throws -> Response {
            let view = try await page(req, c, lines: try await currentLines(c, d, on: req.db), error: "导入失败，未保存任何改动", importProblems: problems)
            let res = try await view.encodeResponse(for: req)
            res.status = .unprocessableEntity
            return res
        }
        guard let file = try req.content.decode(ImportForm.self).file, file.data.readableBytes > 0 else {
            return try await fail(["请选择预警值与先进值 XLSX 文件"])
        }
        let sheets: [Sheet]
        let data = Data(buffer: file.data)
        do { sheets = try await req.offload { try XLSX.read(data) } } catch let e as XLSX.ReadError { return try await fail([e.description]) }
        guard let sheet = sheets.first else { return try await fail(["文件中没有工作表"]) }
        let parsed = ThresholdTable.parse(
            sheet.rows.map { $0.map(\.string) }, indicators: Set(d.indicators.map(\.code)),
            regions: Dictionary(d.regions.compactMap { r in r.id.map { (r.code, $0.uuidString) } }, uniquingKeysWith: { a, _ in a }))
        if !parsed.problems.isEmpty { return try await fail(parsed.problems) }
        try await ThresholdService.save(cid, parsed.lines, by: req.caller())
        req.setFlash("已导入预警值与先进值（\(parsed.lines.count) 行）；下次运行评分时标出并通知")
        return req.redirect(to: SiteURL.campaign(cid, .scoreThresholds))
    }

    /// The campaign-wide line of each indicator, as the form shows it.
    private func currentLines(_ c: Campaign, _ d: CampaignService.Details, on db: any Database) async throws -> [Line] {
        let saved = try await ThresholdService.lines(try c.requireID(), on: db)
        return d.indicators.map { ind in
            let t = saved.first { $0.indicatorCode == ind.code && $0.regionID == nil }
            return Line(code: ind.code, name: ind.name, warning: t?.warning.map(Scoring.fmt2) ?? "", advanced: t?.advanced.map(Scoring.fmt2) ?? "", error: "")
        }
    }

    @Sendable func show(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        return try await page(req, c, lines: try await currentLines(c, try await CampaignService.details(c, on: req.db), on: req.db))
    }

    @Sendable func save(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        let f = try req.content.decode(Form.self)
        let indicators = try await CampaignService.details(c, on: req.db).indicators
        let names = Dictionary(indicators.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let codes = f.code ?? []
        func at(_ a: [String]?, _ i: Int) -> String { (a ?? []).indices.contains(i) ? (a ?? [])[i].trimmingCharacters(in: .whitespaces) : "" }
        var lines: [Line] = []
        var parsed: [ScoreThreshold] = []
        var problems = 0
        for (i, code) in codes.enumerated() {
            guard let name = names[code] else { throw AppError.invalid(["code": "指标“\(code.prefix(40))”不在本次评价中"]) }
            let w = at(f.warning, i), a = at(f.advanced, i)
            var errors: [String] = []
            let warning = w.isEmpty ? nil : FiledNumber.parse(w)
            let advanced = a.isEmpty ? nil : FiledNumber.parse(a)
            if !w.isEmpty && warning == nil { errors.append("预警值“\(w.prefix(20))”不是数字") }
            if !a.isEmpty && advanced == nil { errors.append("先进值“\(a.prefix(20))”不是数字") }
            let line = ScoreThreshold(indicatorCode: code, warning: warning, advanced: advanced)
            if errors.isEmpty { errors = line.problems }
            if !errors.isEmpty { problems += 1 }
            lines.append(Line(code: code, name: name, warning: w, advanced: a, error: errors.joined(separator: "；")))
            if warning != nil || advanced != nil { parsed.append(line) }
        }
        if problems > 0 {
            let res = try await page(req, c, lines: lines, error: "有 \(problems) 项需要修改（见标出的行），未保存任何改动")
                .encodeResponse(for: req)
            res.status = .unprocessableEntity
            return res
        }
        // Region-specific lines (set through the catalog later) are kept as they are.
        let regional = try await ThresholdService.lines(cid, on: req.db).filter { $0.regionID != nil }
        try await ThresholdService.save(cid, parsed + regional, by: req.caller())
        req.setFlash("已保存预警值与先进值（\(parsed.count) 项指标）；下次运行评分时标出并通知")
        return req.redirect(to: SiteURL.campaign(cid, .scoreThresholds))
    }
}
