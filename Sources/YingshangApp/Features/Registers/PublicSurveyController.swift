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

    func visit(_ req: Request) async throws -> SurveyVisit {
        let token = req.parameters.get("token") ?? ""
        guard let v = try await SurveyVisit.find(token: token, on: req.db) else { throw AppError.notFound("问卷") }
        return v
    }

    /// The page. Without answers typed, messages or a notice it is the same for every enterprise of a draw apart from
    /// the token, the enterprise's name and the CSRF token, so that rendering — most of a page view's cost — is kept
    /// per draw, template and state for a minute (indicator names may be edited meanwhile) and filled in per visit.
    func render(
        _ req: Request, _ v: SurveyVisit, values: [String: String], errors: [String], notice: String = ""
    ) async throws -> Response {
        let now = req.clock.now()
        let state = v.pageState(at: now)
        let csrf = CSRF.token(for: req)
        let shared = Self.sharesPage(state, typed: !values.isEmpty, errors: errors, notice: notice)
        if shared, let page = Self.cached(req, v, state: state, csrf: csrf) { return page }
        let t = try await TemplateCache.shared.template(v.templateID, on: req.db)
        let groups = state == .open ? try await groupsHTML(req, v, template: t, values: values) : ""
        func page(token: String, enterprise: String, csrf: String) async throws -> View {
            try await req.view.render(
                "registers/survey-form",
                ["body": FormBody(
                    token: token, enterprise: enterprise, groupsHTML: groups, done: state == .done,
                    expired: state == .expired, errors: errors, csrf: csrf, notice: notice,
                    minutes: t.estimatedMinutes(used: 3), questions: t.items.count)])
        }
        guard shared else { return PageSkeleton.html(try await page(token: v.token, enterprise: v.enterprise, csrf: csrf).data) }
        let m = PageSkeleton.Markers()
        let skeleton = PageSkeleton(
            rendered: try await page(token: m.text(.token), enterprise: m.text(.enterprise), csrf: m.text(.csrf)).data, markers: m)
        req.application.pageCaches.surveyPages.put(Self.pageKey(v, state), skeleton, now: now)
        return PageSkeleton.html(skeleton.fill([.token: v.token, .enterprise: v.enterprise, .csrf: csrf], allocator: req.byteBufferAllocator))
    }

    struct GroupsBody: Encodable {
        let groups: [Group]
        let scale: [String]
    }

    /// The questions, grouped by indicator, as HTML, with the answers typed so far.
    func groupsHTML(_ req: Request, _ v: SurveyVisit, template t: SurveyTemplate, values: [String: String]) async throws -> String {
        let campaignID = try await SampleDraw.find(v.drawID, on: req.db)?.$campaign.id
        let names = Dictionary(
            try await CampaignIndicator.query(on: req.db).filter(\.$campaign.$id == campaignID ?? UUID()).all().map { ($0.code, $0.name) },
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
        return String(buffer: rendered.data)
    }

    /// Whether a visit sees the page its draw shares: no answers typed into an open form, no message, no notice.
    static func sharesPage(_ state: SurveyPageState, typed: Bool, errors: [String], notice: String) -> Bool {
        errors.isEmpty && notice.isEmpty && (state != .open || !typed)
    }

    static func pageKey(_ v: SurveyVisit, _ state: SurveyPageState) -> PageCaches.SurveyPageKey {
        PageCaches.SurveyPageKey(template: v.templateID, draw: v.drawID, state: state)
    }

    /// The shared page from the cache, filled in for this visit; nil when it is not cached.
    static func cached(_ req: Request, _ v: SurveyVisit, state: SurveyPageState, csrf: String) -> Response? {
        guard let skeleton = req.application.pageCaches.surveyPages.get(pageKey(v, state), now: req.clock.now()) else { return nil }
        return PageSkeleton.html(skeleton.fill([.token: v.token, .enterprise: v.enterprise, .csrf: csrf], allocator: req.byteBufferAllocator))
    }

    /// A future chain: the response is read on the event loop (SQLite) and a cached page filled in there; only a page
    /// to render (answers typed so far, a notice, a cache miss) starts a task. Most enterprises' visits are the first.
    @Sendable func form(req: Request) -> EventLoopFuture<Response> {
        // After "保存进度" (said by the address, so that an enterprise's visit never needs a session). Looked for
        // directly: Vapor's query decoder was 3 % of a survey page view.
        let notice = (req.url.query ?? "").split(separator: "&").contains("saved=1") ? "已保存，可稍后继续填写（下次打开同一链接即可）" : ""
        let token = req.parameters.get("token") ?? ""
        return SurveyVisit.find(token: token, on: req.db, eventLoop: req.eventLoop).flatMap { found in
            guard let v = found else { return req.eventLoop.makeFailedFuture(AppError.notFound("问卷")) }
            let state = v.pageState(at: req.clock.now())
            // The answers are decoded only for a form that may show some (an issued response holds `{}`).
            let values = state == .open && v.answersJSON != "{}" ? v.answers : [:]
            if Self.sharesPage(state, typed: !values.isEmpty, errors: [], notice: notice),
                let page = Self.cached(req, v, state: state, csrf: CSRF.token(for: req))
            {
                return req.eventLoop.makeSucceededFuture(page)
            }
            return req.eventLoop.makeFutureWithTask { try await render(req, v, values: values, errors: [], notice: notice) }
        }
    }

    struct SubmitForm: Content {
        var answers: [String: String]?
        var save: String?
    }

    /// Submits (or with `save` only stores progress); re-rendering with the messages on bad answers.
    @Sendable func submit(req: Request) async throws -> Response {
        let r = try await visit(req)
        let form = try req.content.decode(SubmitForm.self)
        let answers = form.answers ?? [:]
        do {
            _ = try await SurveyService.submit(token: r.token, answers: answers, final: form.save == nil, now: req.clock.now(), on: req.db)
        } catch let e as AppError where e.status == .unprocessableEntity {
            let res = try await render(req, r, values: answers, errors: (e.fields ?? [:]).values.sorted())
            res.status = .unprocessableEntity
            return res
        } catch let e as AppError where e.status == .conflict || e.status == .gone {
            // Submitted already (another tab, a second click) or expired: the enterprise's own page says so, with
            // what was submitted; never a staff error page.
            let fresh = try await visit(req)
            let res = try await render(
                req, fresh, values: fresh.answers, errors: [],
                notice: e.status == .conflict ? "本问卷此前已提交，这次的修改没有保存。以下是已提交的答案，感谢您的参与。" : e.message)
            res.status = e.status
            return res
        }
        return req.redirect(to: form.save != nil ? "/s/\(r.token)?saved=1" : "/s/\(r.token)")
    }
}
