import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/campaigns/:id/surveys` (results, template), issuing links for a draw, and the public `/s/:token` form that
/// sampled enterprises answer without an account.
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
                    responseRate: $0.responseRate.map { String(format: "%.0f%%", $0 * 100) } ?? "—", weight: fmt($0.weight, 1),
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

    func register(_ g: Guarded, web: any RoutesBuilder, api: Guarded) {
        g.get("campaigns", ":id", "surveys", action: .viewRegister, use: index)
        g.get("campaigns", ":id", "surveys.csv", action: .viewRegister, use: exportResponses)
        g.get("campaigns", ":id", "surveys.xlsx", action: .viewRegister, use: exportResponsesXLSX)
        g.post("samples", ":drawID", "surveys", action: .drawSamples, use: issue)
        g.personalDataExport("samples", ":drawID", "surveys.csv", action: .drawSamples, use: links)
        api.get("campaigns", ":id", "survey-template", action: .viewRegister, use: template)
        api.put("campaigns", ":id", "survey-template", action: .drawSamples, use: saveTemplate)
        g.get("samples", ":drawID", "letters", action: .drawSamples, use: letters)
        web.get("s", ":token", use: form).markPublic()
        web.grouped(CSRFMiddleware()).post("s", ":token", use: submit).markPublic()
    }

    private func fmt(_ d: Double?, digits: Int = 2) -> String { d.map { String(format: "%.\(digits)f", $0) } ?? "—" }

    @Sendable func index(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        let t = try await SurveyService.currentTemplate(c, on: req.db)
        let template = t.template ?? SurveyTemplate(items: [])
        let draws = try await SampleDraw.query(on: req.db).filter(\.$campaign.$id == cid).all().compactMap(\.id)
        let responses = try await SurveyResponse.query(on: req.db).filter(\.$draw.$id ~~ draws).all()
        let submitted = responses.filter { $0.status == "submitted" }
        let names = Dictionary(uniqueKeysWithValues: try await CampaignIndicator.query(on: req.db).filter(\.$campaign.$id == cid).all().map { ($0.code, $0.name) })
        let results = SurveyResults.summarize(template, responses: submitted.map(\.answers)).map {
            ResultRow(
                indicator: names[$0.indicatorCode] ?? $0.indicatorCode, respondents: $0.respondents, satisfaction: fmt($0.satisfaction?.mean),
                ci: $0.satisfaction.flatMap { s in s.halfWidth95.map { "±" + fmt($0) } } ?? "—", medianDays: fmt($0.medianDays, digits: 1),
                medianSteps: fmt($0.medianSteps, digits: 1), extraDocs: $0.extraDocsShare.map { String(format: "%.0f%%", $0 * 100) } ?? "—",
                used: $0.usedShare.map { String(format: "%.0f%%", $0 * 100) } ?? "—")
        }
        let overall = SurveyResults.overall(template, responses: submitted.map(\.answers))
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
                campaignID: cid.uuidString, version: t.version, items: template.items, issued: responses.count,
                submitted: submitted.count, results: results,
                overall: overall.map { "\(fmt($0.mean))（n = \($0.n)\($0.halfWidth95.map { "，95% 置信区间 ±" + fmt($0) } ?? "")）" } ?? "—",
                weighted: weighted, estimates: estimates))
    }

    @Sendable func issue(req: Request) async throws -> Response {
        let d = try await req.loadDraw()
        let n = try await SurveyService.issue(d, by: req.caller(), clock: req.clock, on: req.db)
        req.setFlash(n == 0 ? "所有有效样本企业都已有问卷链接" : "已为 \(n) 家企业生成问卷链接，请下载链接清单分发")
        return req.redirect(to: "/samples/\(try d.requireID())")
    }

    /// The links to hand out, one per enterprise.
    @Sendable func links(req: Request) async throws -> Response {
        let d = try await req.loadDraw()
        let base = Self.publicBase(req)
        let role = try req.currentRole()
        let responses = try await SurveyResponse.query(on: req.db).filter(\.$draw.$id == (try d.requireID())).with(\.$enterprise).all()
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
        return Downloads.file(
            try XLSX.write([sheet]), name: "\(name)-企业问卷.xlsx",
            type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    }

    private func responseRows(_ req: Request) async throws -> (String, [[String]]) {
        let c = try await req.loadCampaign()
        let template = try await SurveyService.currentTemplate(c, on: req.db).template ?? SurveyTemplate(items: [])
        let draws = try await SampleDraw.query(on: req.db).filter(\.$campaign.$id == (try c.requireID())).all().compactMap(\.id)
        let responses = try await SurveyResponse.query(on: req.db).filter(\.$draw.$id ~~ draws).filter(\.$status == "submitted")
            .with(\.$enterprise).all()
        let rows = [["统一社会信用代码", "企业名称", "提交时间"] + template.items.map(\.code)] + responses.map { r in
            [r.enterprise.uscc, r.enterprise.name, DisplayTime.format(r.submittedAt)] + {
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

    struct FormBody: Encodable {
        let token: String
        let enterprise: String
        /// The question groups, rendered from `registers/survey-groups` (see `groupsHTML`).
        let groupsHTML: String
        let done: Bool
        let expired: Bool
        let errors: [String]
        let csrf: String
        /// "已保存" after saving progress, or why a second submission changed nothing.
        let notice: String
        /// Minutes for an enterprise that dealt with three of the indicators, stated before it starts.
        let minutes: Int
        let questions: Int
    }

    struct Group: Encodable {
        let name: String
        /// "近一年是否办理过…" (nil in templates made before screening questions).
        let screening: ItemView?
        let items: [ItemView]
    }

    struct ItemView: Encodable {
        let code: String
        let text: String
        let kind: String
        let unit: String
        let value: String
        let askedIf: String
    }

    private func response(_ req: Request) async throws -> SurveyResponse {
        let token = req.parameters.get("token") ?? ""
        guard token.count >= 16, let r = try await SurveyResponse.query(on: req.db).filter(\.$token == token).with(\.$enterprise).first()
        else { throw AppError.notFound("问卷") }
        return r
    }

    private func render(
        _ req: Request, _ r: SurveyResponse, values: [String: String], errors: [String], notice: String = ""
    ) async throws -> View {
        // The decoded template is cached (a template with responses never changes): one query and one JSON decode less per view.
        let t = try await TemplateCache.shared.template(r.$template.id, on: req.db)
        let groupsHTML = try await groupsHTML(req, r, template: t, values: values)
        return try await req.view.render(
            "registers/survey-form",
            ["body": FormBody(
                token: r.token, enterprise: r.enterprise.name, groupsHTML: groupsHTML, done: r.status == "submitted",
                expired: r.isExpired(at: req.clock.now()) && r.status != "submitted", errors: errors,
                csrf: CSRF.token(for: req), notice: notice,
                minutes: t.estimatedMinutes(used: 3), questions: t.items.count)])
    }

    struct GroupsBody: Encodable {
        let groups: [Group]
        let scale: [String]
    }

    /// The questions, grouped by indicator, as HTML. Unanswered (every enterprise's first visit) they are the same for
    /// all enterprises of a draw, so that rendering — most of a survey page's cost — is kept per draw and template for
    /// a minute (indicator names may be edited meanwhile); with answers or errors they are rendered for the visit.
    private func groupsHTML(_ req: Request, _ r: SurveyResponse, template t: SurveyTemplate, values: [String: String]) async throws -> String {
        let key = PageCaches.SurveyGroupsKey(template: r.$template.id, draw: r.$draw.id)
        let cache = req.application.pageCaches.surveyGroups
        let now = req.clock.now()
        if values.isEmpty, let html = await cache.get(key, now: now) { return html }
        let campaignID = try await r.$draw.get(on: req.db).$campaign.id
        let names = Dictionary(
            try await CampaignIndicator.query(on: req.db).filter(\.$campaign.$id == campaignID).all().map { ($0.code, $0.name) },
            uniquingKeysWith: { a, _ in a })
        var order: [String] = []
        for i in t.items where !order.contains(i.indicatorCode) { order.append(i.indicatorCode) }
        func view(_ i: SurveyTemplate.Item) -> ItemView {
            ItemView(code: i.code, text: i.text, kind: i.kind.rawValue, unit: i.unit ?? "", value: values[i.code] ?? "", askedIf: i.askedIf ?? "")
        }
        let groups = order.map { code in
            let items = t.items.filter { $0.indicatorCode == code }
            return Group(
                name: names[code] ?? code, screening: items.first { $0.kind == .screening }.map(view),
                items: items.filter { $0.kind != .screening }.map(view))
        }
        let rendered: View = try await req.view.render("registers/survey-groups", ["body": GroupsBody(groups: groups, scale: ["1", "2", "3", "4", "5"])]).get()
        let html = String(buffer: rendered.data)
        if values.isEmpty { await cache.put(key, html, now: now) }
        return html
    }

    @Sendable func form(req: Request) async throws -> View {
        let r = try await response(req)
        // After "保存进度" (said by the address, so that an enterprise's visit never needs a session).
        let notice = req.query[String.self, at: "saved"] == "1" ? "已保存，可稍后继续填写（下次打开同一链接即可）" : ""
        return try await render(req, r, values: r.answers, errors: [], notice: notice)
    }

    struct SubmitForm: Content {
        var answers: [String: String]?
        var save: String?
    }

    /// Submits (or with `save` only stores progress); re-rendering with the messages on bad answers.
    @Sendable func submit(req: Request) async throws -> Response {
        let r = try await response(req)
        let form = try req.content.decode(SubmitForm.self)
        let answers = form.answers ?? [:]
        do {
            _ = try await SurveyService.submit(token: r.token, answers: answers, final: form.save == nil, now: req.clock.now(), on: req.db)
        } catch let e as AppError where e.status == .unprocessableEntity {
            let res = try await render(req, r, values: answers, errors: (e.fields ?? [:]).values.sorted()).encodeResponse(for: req)
            res.status = .unprocessableEntity
            return res
        } catch let e as AppError where e.status == .conflict || e.status == .gone {
            // Submitted already (another tab, a second click) or expired: the enterprise's own page says so, with
            // what was submitted; never a staff error page.
            let fresh = try await response(req)
            let res = try await render(
                req, fresh, values: fresh.answers, errors: [],
                notice: e.status == .conflict ? "本问卷此前已提交，这次的修改没有保存。以下是已提交的答案，感谢您的参与。" : e.message
            ).encodeResponse(for: req)
            res.status = e.status
            return res
        }
        return req.redirect(to: form.save != nil ? "/s/\(r.token)?saved=1" : "/s/\(r.token)")
    }

    struct LetterBody: Encodable {
        let letters: [Letter]
    }

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
        let responses = try await SurveyResponse.query(on: req.db).filter(\.$draw.$id == (try d.requireID())).with(\.$enterprise).all()
        return try await req.view.render(
            "registers/letters",
            ["body": LetterBody(letters: responses.filter { $0.status != "submitted" }.map {
                let link = SurveyLinkList.link($0, base: base)
                return Letter(
                    enterprise: $0.enterprise.name, contact: $0.enterprise.contact ?? "", link: link, code: $0.shortCode,
                    expires: DisplayTime.format($0.expiresAt), qr: SurveyLinkList.qrSVG(link))
            })])
    }
}

/// `POST /api/v1/survey-responses` `{"token","answers"}`: 201 once the response is committed; 200 for a repeat.
struct SurveyResponsesAPI {
    struct Body: Content {
        var token: String?
        var answers: [String: String]?
    }

    struct Ack: Content {
        let status: String
        /// Echoed so a client sending many submissions can match each acknowledgement to its token.
        let token: String
    }

    func register(_ api: any RoutesBuilder) {
        api.post("survey-responses", use: create).markPublic()
    }

    @Sendable func create(req: Request) async throws -> Response {
        let body = try req.content.decode(Body.self)
        let queue = req.application.surveyWriteQueue
        switch try await SurveyService.submit(token: body.token ?? "", answers: body.answers ?? [:], final: true, now: req.clock.now(), on: req.db, queue: queue) {
        case .stored: return try await Ack(status: "received", token: body.token ?? "").encodeResponse(status: .created, for: req)
        case .alreadyReceived: return try await Ack(status: "already_received", token: body.token ?? "").encodeResponse(status: .ok, for: req)
        }
    }
}
