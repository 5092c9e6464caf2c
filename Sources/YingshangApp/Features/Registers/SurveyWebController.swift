import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/campaigns/:id/surveys` (results, template), issuing links for a draw and the letters that carry them.
struct SurveyWebController {
    struct ResultRow: Encodable {
        let indicator: String
        let respondents: Int
        let satisfaction: String
        let ci: String
        let medianDays: String
        let medianSteps: String
        let extraDocs: String
        let used: String
    }

    struct Body: Encodable {
        let campaignID: String
        let version: Int
        let items: [SurveyTemplate.Item]
        let issued: Int
        let submitted: Int
        let results: [ResultRow]
        let overall: String
        let weighted: Bool
        /// The stratified index per draw (shown when asked for): method, weights, response rates and interval.
        let estimates: [DrawEstimateRow]
    }

    struct DrawEstimateRow: Encodable {
        struct Stratum: Encodable {
            let key: String
            let population: Int
            let planned: Int
            let respondents: Int
            let responseRate: String
            let weight: String
            let mean: String
        }
        let number: Int
        let drawnAt: String
        let summary: String
        let strata: [Stratum]
        let notes: [String]

        init(number: Int, drawnAt: String, _ r: StratifiedEstimate.Result?, fmt: (Double?, Int) -> String) {
            self.number = number
            self.drawnAt = drawnAt
            guard let r else {
                summary = "尚无回收的答卷"
                strata = []
                notes = []
                return
            }
            summary = "\(fmt(r.mean, 2))（n = \(r.respondents)，标准误 \(fmt(r.standardError, 2))，95% 置信区间 ±\(fmt(r.halfWidth95, 2))，"
                + "t 分布自由度 \(r.degreesOfFreedom)，设计效应 \(fmt(r.designEffect, 2))）"
            strata = r.strata.map {
                Stratum(
                    key: $0.key, population: $0.population, planned: $0.planned, respondents: $0.respondents,
                    responseRate: Display.percent($0.responseRate), weight: fmt($0.weight, 1),
                    mean: fmt($0.mean, 2))
            }
            var notes: [String] = []
            let empty = r.strata.filter { $0.respondents == 0 }.map(\.key)
            if !empty.isEmpty { notes.append("无人回答的层未计入（权重在其余层中重新分配）：" + empty.joined(separator: "、")) }
            if !r.singleRespondentStrata.isEmpty {
                notes.append("只有 1 家回答的层无法估计层内方差，方差中未计入：" + r.singleRespondentStrata.joined(separator: "、"))
            }
            self.notes = notes
        }
    }

    func register(_ g: Guarded, api: Guarded) {
        // Results and exports read every response of the campaign as they build the page: on the CPU threads.
        g.get("campaigns", ":id", "surveys", action: .viewRegister, use: CPUWork.whole(index))
        g.get("campaigns", ":id", "surveys.csv", action: .viewRegister, use: CPUWork.whole(exportResponses))
        g.get("campaigns", ":id", "surveys.xlsx", action: .viewRegister, use: CPUWork.whole(exportResponsesXLSX))
        g.post("samples", ":drawID", "surveys", action: .drawSamples, use: issue)
        g.personalDataExport("samples", ":drawID", "surveys.csv", action: .drawSamples, use: CPUWork.whole(links))
        api.get("campaigns", ":id", "survey-template", action: .viewRegister, use: template)
        api.put("campaigns", ":id", "survey-template", action: .drawSamples, use: saveTemplate)
        g.get("samples", ":drawID", "letters", action: .drawSamples, use: CPUWork.whole(letters))
    }

    private func fmt(_ d: Double?, digits: Int = 2) -> String { Display.fixed(d, digits: digits) }

    @Sendable func index(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        let t = try await SurveyService.currentTemplate(c, on: req.db)
        let template = t.template ?? SurveyTemplate(items: [])
        let draws = try await SampleDraw.query(on: req.db).filter(\.$campaign.$id == cid).all().compactMap(\.id)
        // Counts and the submitted answers only, each answer set decoded once (40,000 responses read as models and
        // decoded twice took 3.7 s).
        let issued = draws.isEmpty ? 0 : try await SurveyResponse.query(on: req.db).filter(\.$draw.$id ~~ draws).count()
        let submitted = try await SurveyService.submittedAnswers(draws: draws, on: req.db)
        let names = Dictionary(uniqueKeysWithValues: try await CampaignIndicator.query(on: req.db).filter(\.$campaign.$id == cid).all().map { ($0.code, $0.name) })
        let results = SurveyResults.summarize(template, responses: submitted).map {
            ResultRow(
                indicator: names[$0.indicatorCode] ?? $0.indicatorCode, respondents: $0.respondents, satisfaction: fmt($0.satisfaction?.mean),
                ci: $0.satisfaction.flatMap { s in s.halfWidth95.map { "±" + fmt($0) } } ?? "—", medianDays: fmt($0.medianDays, digits: 1),
                medianSteps: fmt($0.medianSteps, digits: 1), extraDocs: Display.percent($0.extraDocsShare),
                used: Display.percent($0.usedShare))
        }
        let overall = SurveyResults.overall(template, responses: submitted)
        let weighted = req.query[String.self, at: "weighted"] != nil
        var estimates: [DrawEstimateRow] = []
        if weighted {
            for (i, e) in try await SurveyEstimates.byDraw(campaignID: cid, template: template, on: req.db).enumerated() {
                estimates.append(DrawEstimateRow(number: i + 1, drawnAt: e.drawnAt.map(DisplayTime.format) ?? "", e.result, fmt: fmt))
            }
        }
        return try await req.render(
            "registers/surveys", title: "企业问卷",
            Body(
                campaignID: cid.uuidString, version: t.version, items: template.items, issued: issued,
                submitted: submitted.count, results: results,
                overall: overall.map { "\(fmt($0.mean))（n = \($0.n)\($0.halfWidth95.map { "，95% 置信区间 ±" + fmt($0) } ?? "")）" } ?? "—",
                weighted: weighted, estimates: estimates))
    }

    @Sendable func issue(req: Request) async throws -> Response {
        let d = try await req.loadDraw()
        let n = try await SurveyService.issue(d, by: req.caller(), clock: req.clock, on: req.db)
        req.setFlash(n == 0 ? "所有有效样本企业都已有问卷链接" : "已为 \(n) 家企业生成问卷链接，请下载链接清单分发")
        return req.redirect(to: SiteURL.draw(try d.requireID()))
    }

    /// The links to hand out, one per enterprise.
    @Sendable func links(req: Request) async throws -> Response {
        let d = try await req.loadDraw()
        let base = Self.publicBase(req)
        let role = try req.currentRole()
        let responses = try await SurveyLinkList.entries(draws: [try d.requireID()], on: req.db)
        try await AuditLog.record(
            on: req.db, req: req, actor: try req.currentUser(), action: "export_personal_data", entityType: "sample_draw", entityID: d.id,
            before: noSnapshot, after: ["what": "问卷链接清单（含联系人、联系电话）", "rows": String(responses.count)])
        let rows = SurveyLinkList.rows(responses, base: base, role: role)
        return Downloads.file(CSVWriter.write(rows), name: "问卷链接.csv", type: "text/csv; charset=utf-8")
    }

    @Sendable func exportResponses(req: Request) async throws -> Response {
        let (name, rows) = try await responseRows(req)
        return Downloads.file(CSVWriter.write(rows), name: "\(name)-企业问卷.csv", type: "text/csv; charset=utf-8")
    }

    @Sendable func exportResponsesXLSX(req: Request) async throws -> Response {
        let (name, rows) = try await responseRows(req)
        // Answers as numbers where they are numbers; codes and names always as text (an all-digit code must not round).
        let sheet = Sheet(name: "企业问卷", rows: rows.enumerated().map { r, row in
            row.enumerated().map { i, v in r > 0 && i >= 3 ? (Double(v).map(Cell.number) ?? .text(v)) : .text(v) }
        })
        return try await Downloads.workbook([sheet], name: "\(name)-企业问卷.xlsx", req: req)
    }

    private func responseRows(_ req: Request) async throws -> (String, [[String]]) {
        let c = try await req.loadCampaign()
        let template = try await SurveyService.currentTemplate(c, on: req.db).template ?? SurveyTemplate(items: [])
        let draws = try await SampleDraw.query(on: req.db).filter(\.$campaign.$id == (try c.requireID())).all().compactMap(\.id)
        let responses = try await SurveyLinkList.entries(draws: draws, which: .submitted, answers: true, on: req.db)
        let rows = [["统一社会信用代码", "企业名称", "提交时间"] + template.items.map(\.code)] + responses.map { r in
            [r.uscc, r.name, DisplayTime.format(r.submittedAt)] + {
                let answers = r.answers  // decoded once per response, not once per question
                return template.items.map { answers[$0.code] ?? "" }
            }()
        }
        return (c.name, rows)
    }

    @Sendable func template(req: Request) async throws -> SurveyTemplate {
        try await SurveyService.currentTemplate(try await req.loadCampaign(), on: req.db).template ?? SurveyTemplate(items: [])
    }

    @Sendable func saveTemplate(req: Request) async throws -> SurveyTemplate {
        let c = try await req.loadCampaign()
        let saved = try await SurveyService.save(c, try req.content.decode(SurveyTemplate.self), by: req.caller())
        return saved.template ?? SurveyTemplate(items: [])
    }

    struct LetterBody: Encodable {
        let letters: [Letter]
        /// The batch shown (1-based) of `batches`, `total` letters in all.
        let batch: Int
        let batches: Int
        let total: Int
        let prevHref: String?
        let nextHref: String?
    }

    /// Letters per page: each carries a QR code (about 0.8 ms to encode and 5 KB of SVG), so 30,000 letters on one
    /// page took 24 s and 156 MB of HTML; a batch of 200 prints in one go.
    static let lettersPerBatch = 200

    struct Letter: Encodable {
        let enterprise: String
        let contact: String
        let link: String
        let code: String
        let expires: String
        /// The link as an inline SVG QR code, for a phone camera or WeChat.
        let qr: String
    }

    /// The configured public address, else the address this request came to.
    static func publicBase(_ req: Request) -> String {
        if let configured = req.application.settings.publicURL { return configured }
        return req.headers.first(name: .host).map { "http://\($0)" } ?? ""
    }

    /// One printable letter per enterprise with its link and short code.
    @Sendable func letters(req: Request) async throws -> View {
        let d = try await req.loadDraw()
        let base = Self.publicBase(req)
        let did = try d.requireID()
        let total = try await SurveyResponse.query(on: req.db).filter(\.$draw.$id == did).filter(\.$status != "submitted").count()
        let per = Self.lettersPerBatch
        let batches = max(1, (total + per - 1) / per)
        let batch = min(max(1, req.query[Int.self, at: "batch"] ?? 1), batches)
        let open = try await SurveyLinkList.entries(draws: [did], which: .open, page: (batch - 1, per), on: req.db)
        let href = { (n: Int) in SiteURL.letters(draw: did, batch: n) }
        // A batch's QR codes take ~0.2 s to encode: this route runs whole on the CPU threads (`register`).
        let letters = open.map {
            let link = SurveyLinkList.link(token: $0.token, base: base)
            return Letter(
                enterprise: $0.name, contact: $0.contact ?? "", link: link, code: $0.shortCode,
                expires: DisplayTime.format($0.expiresAt), qr: SurveyLinkList.qrSVG(link))
        }
        return try await req.view.render(
            "registers/letters",
            ["body": LetterBody(
                letters: letters,
                batch: batch, batches: batches, total: total,
                prevHref: batch > 1 ? href(batch - 1) : nil, nextHref: batch < batches ? href(batch + 1) : nil)])
    }
}
