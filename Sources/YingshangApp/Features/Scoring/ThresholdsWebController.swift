import Fluent
import Vapor
import YingshangCore

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
    }

    struct Form: Content {
        var code: [String]?
        var warning: [String]?
        var advanced: [String]?
    }

    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "scores", "thresholds", action: .viewScores, use: show)
        g.post("campaigns", ":id", "scores", "thresholds", action: .manageScoreRules, use: save)
    }

    private func page(_ req: Request, _ c: Campaign, lines: [Line], error: String = "") async throws -> View {
        try await req.render(
            "scores/thresholds", title: "预警值与先进值",
            Body(
                campaignID: try c.requireID().uuidString, campaignName: c.name, lines: lines,
                canEdit: Permissions.allows(try req.currentRole(), .manageScoreRules), error: error))
    }

    @Sendable func show(req: Request) async throws -> View {
        let c = try await CampaignService.find(req)
        let saved = try await ThresholdService.lines(try c.requireID(), on: req.db)
        let indicators = try await CampaignService.details(c, on: req.db).indicators
        let lines = indicators.map { ind -> Line in
            let t = saved.first { $0.indicatorCode == ind.code && $0.regionID == nil }
            return Line(
                code: ind.code, name: ind.name, warning: t?.warning.map(Scoring.fmt2) ?? "", advanced: t?.advanced.map(Scoring.fmt2) ?? "",
                error: "")
        }
        return try await page(req, c, lines: lines)
    }

    @Sendable func save(req: Request) async throws -> Response {
        let c = try await CampaignService.find(req)
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
        try await ThresholdService.save(cid, parsed + regional, req: req)
        req.setFlash("已保存预警值与先进值（\(parsed.count) 项指标）；下次运行评分时标出并通知")
        return req.redirect(to: "/campaigns/\(cid)/scores/thresholds")
    }
}
