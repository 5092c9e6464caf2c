import Fluent
import Vapor
import YingshangCore

/// `/library`: best practices (submitted by units, curated by the bureau) and the policy library.
struct LibraryWebController {
    func register(_ g: Guarded) {
        g.get("library", action: .viewLibrary, use: index)
        g.get("library", "practices", "new", action: .submitPractices, use: newPractice)
        g.post("library", "practices", action: .submitPractices, use: createPractice)
        g.get("library", "practices", ":pid", action: .viewLibrary, use: practice)
        g.post("library", "practices", ":pid", "curate", action: .manageLibrary, use: curate)
        g.post("library", "practices", ":pid", "replicate", action: .manageLibrary, use: replicate)
        g.putStream("library", "practices", ":pid", "file", action: .submitPractices, use: uploadPracticeFile)
        g.get("library", "practices", ":pid", "file", action: .viewLibrary, use: practiceFile)
        g.get("library", "policies", "new", action: .manageLibrary, use: newPolicy)
        g.post("library", "policies", action: .manageLibrary, use: createPolicy)
        g.get("library", "policies", ":pid", action: .viewLibrary, use: policy)
        g.post("library", "policies", ":pid", "publish", action: .manageLibrary, use: publish)
        g.putStream("library", "policies", ":pid", "file", action: .manageLibrary, use: uploadPolicyFile)
        g.get("library", "policies", ":pid", "file", action: .viewLibrary, use: policyFile)
    }

    struct PracticeRow: Encodable {
        let id: String
        let title: String
        let indicator: String
        let region: String
        let tags: [String]
        let status: String
        let statusCode: String
        let published: Bool
        let replicate: Bool
        let summary: String
    }

    struct PolicyRow: Encodable {
        let id: String
        let title: String
        let docNumber: String
        let issuingBody: String
        let issuedOn: String
        let indicators: [String]
        let published: Bool
    }

    static func practiceRow(_ p: BestPractice) -> PracticeRow {
        PracticeRow(
            id: p.id?.uuidString ?? "", title: p.title, indicator: p.indicatorCode.flatMap { NationalCatalog.namesByCode[$0] } ?? "",
            region: p.regionName, tags: p.tags.split(separator: ",").map(String.init), status: p.practiceStatus.chineseName,
            statusCode: p.status, published: p.published, replicate: p.replicate, summary: String(p.description.prefix(120)))
    }

    static func policyRow(_ p: Policy) -> PolicyRow {
        PolicyRow(
            id: p.id?.uuidString ?? "", title: p.title, docNumber: p.docNumber, issuingBody: p.issuingBody, issuedOn: p.issuedOn,
            indicators: p.indicatorCodes.compactMap { NationalCatalog.namesByCode[$0] }, published: p.published)
    }

    /// Search over title, text and tags; `indicator` filters both lists.
    static func practices(_ db: any Database, q: String, indicator: String, visible: (inout QueryBuilder<BestPractice>) -> Void) async throws -> [BestPractice] {
        var query = BestPractice.query(on: db).sort(\.$createdAt, .descending)
        visible(&query)
        if !q.isEmpty {
            query = query.group(.or) { $0.filter(\.$title ~~ q).filter(\.$description ~~ q).filter(\.$measures ~~ q).filter(\.$tags ~~ q).filter(\.$regionName ~~ q) }
        }
        if !indicator.isEmpty { query = query.filter(\.$indicatorCode == indicator) }
        return try await query.limit(200).all()
    }

    static func policies(_ db: any Database, q: String, indicator: String, publishedOnly: Bool) async throws -> [Policy] {
        var query = Policy.query(on: db).sort(\.$issuedOn, .descending)
        if publishedOnly { query = query.filter(\.$published == true) }
        if !q.isEmpty {
            query = query.group(.or) { $0.filter(\.$title ~~ q).filter(\.$docNumber ~~ q).filter(\.$issuingBody ~~ q).filter(\.$fullText ~~ q) }
        }
        if !indicator.isEmpty { query = query.filter(\.$indicators ~~ indicator) }
        return try await query.limit(200).all()
    }

    struct IndexBody: Encodable {
        let practices: [PracticeRow]
        let policies: [PolicyRow]
        let q: String
        let indicators: [SelectOption]
        let canSubmit: Bool
        let canManage: Bool
    }

    static func indicatorOptions(_ selected: String) -> [SelectOption] {
        [SelectOption(value: "", label: "全部指标", selected: selected.isEmpty)]
            + NationalCatalog.indicators.map { SelectOption(value: $0.code, label: $0.nameZh, selected: $0.code == selected) }
    }

    @Sendable func index(req: Request) async throws -> View {
        let q = (req.query[String.self, at: "q"] ?? "").trimmingCharacters(in: .whitespaces)
        let indicator = req.query[String.self, at: "indicator"] ?? ""
        let role = try req.currentRole()
        let manage = Permissions.allows(role, .manageLibrary)
        let unit = try req.currentUser().$unit.id
        let practices = try await Self.practices(req.db, q: q, indicator: indicator) { query in
            if !manage { query = query.group(.or) { $0.filter(\.$status == BestPractice.Status.curated.rawValue).filter(\.$unit.$id == unit) } }
        }
        let policies = try await Self.policies(req.db, q: q, indicator: indicator, publishedOnly: !manage)
        return try await req.render(
            "library/index", title: "经验与政策",
            IndexBody(
                practices: practices.map(Self.practiceRow), policies: policies.map(Self.policyRow), q: q, indicators: Self.indicatorOptions(indicator),
                canSubmit: Permissions.allows(role, .submitPractices), canManage: manage))
    }

    struct PracticeFormBody: Encodable {
        let values: PracticeInput
        let errors: [String: String]
        let indicators: [SelectOption]
        /// The scores page a proposal came from (an indicator at its advanced value), linked from the form.
        var source: String = ""
    }

    /// `?indicatorCode=&regionName=&results=&campaign=` prefill the form when an indicator reached its advanced value
    /// (the notification links here); unknown codes and over-long text are dropped, not trusted.
    @Sendable func newPractice(req: Request) async throws -> View {
        var values = PracticeInput()
        if let code = req.query[String.self, at: "indicatorCode"], NationalCatalog.indicators.contains(where: { $0.code == code }) {
            values.indicatorCode = code
        }
        values.regionName = req.query[String.self, at: "regionName"].flatMap { $0.count <= 50 ? $0 : nil }
        values.results = req.query[String.self, at: "results"].flatMap { $0.count <= 500 ? $0 : nil }
        var body = PracticeFormBody(values: values, errors: [:], indicators: Self.indicatorOptions(values.indicatorCode ?? ""))
        if let raw = req.query[String.self, at: "campaign"], let cid = UUID(uuidString: raw), try await Campaign.find(cid, on: req.db) != nil {
            body.source = "/campaigns/\(cid)/scores"
        }
        return try await req.render("library/practice-form", title: "提交典型经验", body)
    }

    @Sendable func createPractice(req: Request) async throws -> Response {
        let input = try req.content.decode(PracticeInput.self)
        return try await req.submitForm(
            successMessage: "已提交，待审批局审核收录", redirectTo: "/library",
            renderForm: {
                try await req.render(
                    "library/practice-form", title: "提交典型经验",
                    PracticeFormBody(values: input, errors: $0, indicators: Self.indicatorOptions(input.indicatorCode ?? "")))
            },
            write: { _ = try await LibraryService.createPractice(input, by: req.caller()) })
    }

    static func findPractice(_ req: Request) async throws -> BestPractice {
        guard let p = try await BestPractice.find(try req.uuidParameter("pid"), on: req.db) else { throw AppError.notFound("典型经验") }
        let role = try req.currentRole()
        let own = try req.currentUser().$unit.id
        if !Permissions.allows(role, .manageLibrary) && p.practiceStatus != .curated && p.$unit.id != own {
            throw AppError.notFound("典型经验")
        }
        return p
    }

    struct PracticeBody: Encodable {
        let row: PracticeRow
        let description: String
        let measures: String
        let results: String
        let submittedBy: String
        let fileName: String?
        let canManage: Bool
        let canUpload: Bool
        let statuses: [SelectOption]
        let campaigns: [SelectOption]
        let units: [SelectOption]
        let defaultDeadline: String
        let followUp: String
    }

    @Sendable func practice(req: Request) async throws -> View {
        let p = try await Self.findPractice(req)
        let role = try req.currentRole()
        let own = try req.currentUser().$unit.id
        let manage = Permissions.allows(role, .manageLibrary)
        let campaigns = manage ? try await req.visibleCampaigns().sort(\.$year, .descending).all() : []
        let units = manage ? try await Unit.query(on: req.db).sort(\.$code).all() : []
        var followUp = ""
        if let tid = p.$followUpTask.id, let t = try await CampaignTask.find(tid, on: req.db) {
            followUp = "推广复制任务：\(t.title)（截止 \(t.deadline)，\(t.workStatus.chineseName)）"
        }
        return try await req.render(
            "library/practice", title: p.title,
            PracticeBody(
                row: Self.practiceRow(p), description: p.description, measures: p.measures, results: p.results, submittedBy: p.submittedBy,
                fileName: p.fileName, canManage: manage,
                canUpload: manage || (Permissions.allows(role, .submitPractices) && p.$unit.id == own),
                statuses: BestPractice.Status.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == p.status) },
                campaigns: campaigns.map { SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: false) },
                units: units.map { SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: false) },
                defaultDeadline: req.clock.today.adding(days: 60).description, followUp: followUp))
    }

    struct CurateForm: Content {
        var status: String?
        var published: String?
    }

    @Sendable func curate(req: Request) async throws -> Response {
        let p = try await Self.findPractice(req)
        let f = try req.content.decode(CurateForm.self)
        do {
            try await LibraryService.curate(p, status: f.status, published: f.published == "1", by: req.caller())
            req.setFlash("已更新审核结果")
        } catch let e as AppError where e.status == .unprocessableEntity {
            req.setFlash((e.fields ?? [:]).values.sorted().joined(separator: "；"), kind: "error")
        }
        return req.redirect(to: "/library/practices/\(try p.requireID())")
    }

    struct ReplicateForm: Content {
        var campaignID: String?
        var unitID: String?
        var deadline: String?
    }

    @Sendable func replicate(req: Request) async throws -> Response {
        let p = try await Self.findPractice(req)
        let f = try req.content.decode(ReplicateForm.self)
        do {
            let t = try await LibraryService.replicate(p, campaignID: f.campaignID, unitID: f.unitID, deadline: f.deadline, by: req.caller())
            req.setFlash("已标记推广复制，并生成任务“\(t.title)”")
        } catch let e as AppError where e.status == .unprocessableEntity {
            req.setFlash((e.fields ?? [:]).values.sorted().joined(separator: "；"), kind: "error")
        }
        return req.redirect(to: "/library/practices/\(try p.requireID())")
    }

    struct PolicyFormBody: Encodable {
        let values: PolicyInput
        let errors: [String: String]
        let indicators: [SelectOption]
    }

    @Sendable func newPolicy(req: Request) async throws -> View {
        try await req.render(
            "library/policy-form", title: "录入政策文件",
            PolicyFormBody(values: PolicyInput(issuedOn: req.clock.today.description), errors: [:], indicators: Self.indicatorOptions("").dropFirst().map { $0 }))
    }

    @Sendable func createPolicy(req: Request) async throws -> Response {
        let input = try req.content.decode(PolicyInput.self)
        return try await req.submitForm(
            successMessage: "已录入政策文件（未公开）", redirectTo: "/library",
            renderForm: {
                let chosen = Set(input.indicators ?? [])
                return try await req.render(
                    "library/policy-form", title: "录入政策文件",
                    PolicyFormBody(
                        values: input, errors: $0,
                        indicators: NationalCatalog.indicators.map { SelectOption(value: $0.code, label: $0.nameZh, selected: chosen.contains($0.code)) }))
            },
            write: { _ = try await LibraryService.createPolicy(input, by: req.caller()) })
    }

    static func findPolicy(_ req: Request) async throws -> Policy {
        guard let p = try await Policy.find(try req.uuidParameter("pid"), on: req.db) else { throw AppError.notFound("政策文件") }
        let manage = Permissions.allows(try req.currentRole(), .manageLibrary)
        if !p.published && !manage { throw AppError.notFound("政策文件") }
        return p
    }

    struct PolicyBody: Encodable {
        let row: PolicyRow
        let paragraphs: [String]
        let fileName: String?
        let canManage: Bool
        let publishedAt: String
    }

    @Sendable func policy(req: Request) async throws -> View {
        let p = try await Self.findPolicy(req)
        return try await req.render(
            "library/policy", title: p.title,
            PolicyBody(
                row: Self.policyRow(p), paragraphs: p.fullText.split(separator: "\n").map(String.init), fileName: p.fileName,
                canManage: Permissions.allows(try req.currentRole(), .manageLibrary), publishedAt: DisplayTime.format(p.publishedAt)))
    }

    struct PublishForm: Content {
        var published: String?
    }

    @Sendable func publish(req: Request) async throws -> Response {
        let p = try await Self.findPolicy(req)
        let on = try req.content.decode(PublishForm.self).published == "1"
        try await LibraryService.setPublished(p, on, by: req.caller())
        req.setFlash(on ? "已公开：公众可在“政策与经验公开”页面查看" : "已撤回公开")
        return req.redirect(to: "/library/policies/\(try p.requireID())")
    }

    @Sendable func uploadPracticeFile(req: Request) async throws -> Response {
        let p = try await Self.findPractice(req)
        let manage = Permissions.allows(try req.currentRole(), .manageLibrary)
        let own = try req.currentUser().$unit.id
        if !manage && p.$unit.id != own {
            throw AppError.forbidden("只能为本单位提交的经验上传附件")
        }
        return try await EvidenceStore.attachSingle(req, to: p, entity: "best_practice", auditID: p.id)
    }

    @Sendable func practiceFile(req: Request) async throws -> Response {
        let p = try await Self.findPractice(req)
        return try await EvidenceStore.streamAttached(p, req: req)
    }

    @Sendable func uploadPolicyFile(req: Request) async throws -> Response {
        let p = try await Self.findPolicy(req)
        return try await EvidenceStore.attachSingle(req, to: p, entity: "policy", auditID: p.id)
    }

    @Sendable func policyFile(req: Request) async throws -> Response {
        let p = try await Self.findPolicy(req)
        return try await EvidenceStore.streamAttached(p, req: req)
    }
}

/// `/public`: published policies and best practices, no login, read-only; nothing unpublished is reachable.
struct PublicController {
    struct Body: Encodable {
        let practices: [LibraryWebController.PracticeRow]
        let policies: [LibraryWebController.PolicyRow]
        let q: String
        let indicators: [SelectOption]
        /// Who publishes: the deployment's top region (e.g. 青山县), so a citizen knows whose page this is.
        let publisher: String
    }

    /// The region whose departments use the platform (the one most units belong to, e.g. 青山县); empty without units.
    /// Benchmark and neighbouring regions loaded for comparison have no units.
    static func publisher(_ req: Request) async throws -> String {
        let cache = req.application.pageCaches.publisher
        if let cached = await cache.get("", now: req.clock.now()) { return cached }
        let name = try await computePublisher(req.db)
        await cache.put("", name, now: req.clock.now())
        return name
    }

    static func computePublisher(_ db: any Database) async throws -> String {
        var counts: [UUID: Int] = [:]
        for u in try await Unit.query(on: db).all() { if let r = u.$region.id { counts[r, default: 0] += 1 } }
        guard let top = counts.max(by: { ($0.value, $1.key.uuidString) < ($1.value, $0.key.uuidString) })?.key else { return "" }
        return try await Region.find(top, on: db)?.name ?? ""
    }

    func register(_ app: any RoutesBuilder) {
        app.get("public", use: index).markPublic()
        app.get("public", "policies", ":pid", use: policy).markPublic()
        app.get("public", "policies", ":pid", "file", use: policyFile).markPublic()
        app.get("public", "practices", ":pid", use: practice).markPublic()
    }

    /// The unfiltered page — what nearly every visitor opens — is kept for up to 10 s (emptied on this instance by
    /// every library change), so a crowd of citizens costs one set of queries and one rendering per 10 s.
    @Sendable func index(req: Request) async throws -> View {
        let q = String((req.query[String.self, at: "q"] ?? "").trimmingCharacters(in: .whitespaces).prefix(50))
        let indicator = req.query[String.self, at: "indicator"] ?? ""
        let cache = req.application.pageCaches.publicIndex
        let unfiltered = q.isEmpty && indicator.isEmpty
        if unfiltered, let page = await cache.get("", now: req.clock.now()) { return View(data: page) }
        let view = try await render(req, q: q, indicator: indicator)
        if unfiltered { await cache.put("", view.data, now: req.clock.now()) }
        return view
    }

    private func render(_ req: Request, q: String, indicator: String) async throws -> View {
        let practices = try await LibraryWebController.practices(req.db, q: q, indicator: indicator) { $0 = $0.filter(\.$published == true) }
        let policies = try await LibraryWebController.policies(req.db, q: q, indicator: indicator, publishedOnly: true)
        return try await req.view.render(
            "public/index",
            Body(
                practices: practices.map(LibraryWebController.practiceRow), policies: policies.map(LibraryWebController.policyRow), q: q,
                indicators: LibraryWebController.indicatorOptions(indicator), publisher: try await Self.publisher(req)))
    }

    static func publishedPolicy(_ req: Request) async throws -> Policy {
        guard let id = UUID(uuidString: req.parameters.get("pid") ?? ""), let p = try await Policy.find(id, on: req.db), p.published else {
            throw AppError.notFound("政策文件")
        }
        return p
    }

    struct PolicyPage: Encodable {
        let row: LibraryWebController.PolicyRow
        let paragraphs: [String]
        let fileName: String?
    }

    @Sendable func policy(req: Request) async throws -> View {
        let p = try await Self.publishedPolicy(req)
        return try await req.view.render(
            "public/policy", PolicyPage(row: LibraryWebController.policyRow(p), paragraphs: p.fullText.split(separator: "\n").map(String.init), fileName: p.fileName))
    }

    @Sendable func policyFile(req: Request) async throws -> Response {
        let p = try await Self.publishedPolicy(req)
        return try await EvidenceStore.streamAttached(p, req: req)
    }

    struct PracticePage: Encodable {
        let row: LibraryWebController.PracticeRow
        let description: [String]
        let measures: [String]
        let results: [String]
    }

    @Sendable func practice(req: Request) async throws -> View {
        guard let id = UUID(uuidString: req.parameters.get("pid") ?? ""), let p = try await BestPractice.find(id, on: req.db), p.published,
            p.practiceStatus == .curated
        else { throw AppError.notFound("典型经验") }
        func lines(_ s: String) -> [String] { s.split(separator: "\n").map(String.init) }
        return try await req.view.render(
            "public/practice",
            PracticePage(row: LibraryWebController.practiceRow(p), description: lines(p.description), measures: lines(p.measures), results: lines(p.results)))
    }
}
