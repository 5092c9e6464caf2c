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
            body.source = SiteURL.campaign(cid, .scores)
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
