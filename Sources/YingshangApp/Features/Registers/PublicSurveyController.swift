import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/s/:token`: the survey form a sampled enterprise answers without an account (the link or its short code), kept
/// as typed after an error; a submission is acknowledged once it is committed.
struct PublicSurveyController {
    func register(_ web: any RoutesBuilder) {
        web.get("s", ":token", use: form).markPublic()
        web.grouped(CSRFMiddleware()).post("s", ":token", use: submit).markPublic()
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

    func response(_ req: Request) async throws -> SurveyResponse {
        let token = req.parameters.get("token") ?? ""
        guard token.count >= 16, let r = try await SurveyResponse.query(on: req.db).filter(\.$token == token).with(\.$enterprise).first()
        else { throw AppError.notFound("问卷") }
        return r
    }

    func render(
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
    func groupsHTML(_ req: Request, _ r: SurveyResponse, template t: SurveyTemplate, values: [String: String]) async throws -> String {
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
}
