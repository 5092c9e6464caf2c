import Fluent
import Vapor
import YingshangCore

/// `/filings`: my unit's filings or the bureau's review queue; one filing's questionnaire, evidence and timeline.
struct FilingsWebController {
    struct Row: Encodable {
        let href: String
        let campaignName: String
        let indicatorName: String
        let leadUnit: String
        let role: String
        let stateName: String
        let status: String
        let due: String
    }

    struct IndexBody: Encodable {
        let rows: [Row]
        let isBureau: Bool
        let stateFilter: String
        let states: [SelectOption]
        let campaigns: [SelectOption]
        let canEdit: Bool
    }

    func register(_ g: Guarded) {
        g.get("filings", action: .viewFilings, use: index)
        g.get("campaigns", ":id", "filings", ":indicator", action: .viewFilings, use: open)
        g.get("filings", ":filingID", action: .viewFilings, use: show)
        g.post("filings", ":filingID", action: .editFilings, use: save)
        g.post("filings", ":filingID", "transition", action: .transitionFilings, use: transition)
        g.putStream("filings", ":filingID", "evidence", action: .editFilings, use: upload)
        g.get("filings", ":filingID", "evidence", ":attachmentID", action: .viewFilings, use: download)
        g.post("filings", ":filingID", "evidence", ":attachmentID", "delete", action: .editFilings, use: deleteAttachment)
        g.get("filings", ":filingID", "diff", action: .viewFilings, use: diff)
        g.post("filings", ":filingID", "contributions", action: .editFilings, use: assignItems)
        g.post("filings", ":filingID", "contribution", action: .editFilings, use: saveContribution)
        g.post("filings", ":filingID", "contributions", ":contributionID", "merge", action: .editFilings, use: merge)
    }

    struct AssignForm: Content {
        var unitID: String?
        var items: [String]?
    }

    @Sendable func assignItems(req: Request) async throws -> Response {
        let f = try await req.loadFiling()
        let form = try req.content.decode(AssignForm.self)
        guard let unit = form.unitID.flatMap(UUID.init(uuidString:)) else { throw AppError.invalid(["unitID": "请选择配合单位"]) }
        try await ContributionService.assign(f, unitID: unit, items: form.items ?? [], by: req.caller())
        req.setFlash("已更新配合单位的题目分工")
        return req.redirect(to: SiteURL.filing(try f.requireID()))
    }

    struct ContributionForm: Content {
        var answers: [String: String]?
        var submit: String?
    }

    @Sendable func saveContribution(req: Request) async throws -> Response {
        let f = try await req.loadFiling()
        let form = try req.content.decode(ContributionForm.self)
        do {
            try await ContributionService.save(f, answers: form.answers ?? [:], submit: form.submit != nil, by: req.caller())
        } catch let e as AppError where e.status == .unprocessableEntity || e.status == .conflict {
            let problems = [FieldProblem(field: "_", message: e.message)] + (e.fields ?? [:]).map { FieldProblem(field: "_", message: $0.value) }
            let res = try await page(req, f, errors: problems).encodeResponse(for: req)
            res.status = e.status
            return res
        }
        req.setFlash(form.submit != nil ? "已提交牵头单位" : "已保存")
        return req.redirect(to: SiteURL.filing(try f.requireID()))
    }

    @Sendable func merge(req: Request) async throws -> Response {
        let f = try await req.loadFiling()
        try await ContributionService.merge(f, contributionID: try req.uuidParameter("contributionID"), by: req.caller())
        req.setFlash("已合并配合单位的答案")
        return req.redirect(to: SiteURL.filing(try f.requireID()))
    }

    /// Unit users: every indicator their unit leads or cooperates on in running campaigns. Bureau and leaders:
    /// every indicator, filterable by state (the review queue).
    @Sendable func index(req: Request) async throws -> View {
        let user = try req.currentUser()
        let role = try req.currentRole()
        let stateFilter = req.query[String.self, at: "state"] ?? (role == .coordinator || role == .admin ? "unit_approved" : "")
        let campaigns = try await req.visibleCampaigns().filter(\.$status == Campaign.Status.active.rawValue).all()
        var rows: [Row] = []
        for c in campaigns {
            let cid = try c.requireID()
            let names = Dictionary(
                uniqueKeysWithValues: try await CampaignIndicator.query(on: req.db).filter(\.$campaign.$id == cid).all()
                    .map { ($0.code, ($0.name, $0.position)) })
            let scope = req.resolvedRegionScope  // a county account in a provincial campaign: its county's rows only
            let assignments = try await Assignment.query(on: req.db).filter(\.$campaign.$id == cid).with(\.$cooperators).all()
                .filter { scope.covers($0.$region.id.uuidString) }
            let filings = try await Filing.query(on: req.db).filter(\.$campaign.$id == cid).all()
            let byKey = Dictionary(uniqueKeysWithValues: filings.map { ("\($0.$region.id)|\($0.indicatorCode)", $0) })
            let schedule = Dictionary(
                uniqueKeysWithValues: try await ScheduleEntry.query(on: req.db).filter(\.$campaign.$id == cid).all()
                    .map { ("\($0.$region.id)|\($0.indicatorCode)", $0.day) })
            let units = Dictionary(
                uniqueKeysWithValues: try await Unit.query(on: req.db).all().compactMap { u in u.id.map { ($0, u.name) } })
            for a in assignments.sorted(by: { (names[$0.indicatorCode]?.1 ?? 0) < (names[$1.indicatorCode]?.1 ?? 0) }) {
                guard let lead = a.$leadUnit.id else { continue }
                var myRole = ""
                if role.isUnitScoped {
                    if lead == user.$unit.id { myRole = "牵头" } else if a.cooperators.contains(where: { $0.$unit.id == user.$unit.id }) {
                        myRole = "配合"
                    } else { continue }
                }
                let key = "\(a.$region.id)|\(a.indicatorCode)"
                let f = byKey[key]
                let state = f?.filingState ?? .draft
                if !stateFilter.isEmpty && state.rawValue != stateFilter { continue }
                rows.append(Row(
                    href: f.flatMap { $0.id.map { "/filings/\($0)" } } ?? SiteURL.filing(campaign: cid, indicator: a.indicatorCode, region: a.$region.id),
                    campaignName: c.name, indicatorName: names[a.indicatorCode]?.0 ?? a.indicatorCode, leadUnit: units[lead] ?? "",
                    role: myRole, stateName: f == nil ? "未开始" : state.chineseName, status: f?.workStatus.rawValue ?? "not_started",
                    due: schedule[key] ?? ""))
            }
        }
        let states = [SelectOption(value: "", label: "全部", selected: stateFilter.isEmpty)]
            + FilingState.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == stateFilter) }
        return try await req.render(
            "filings/index", title: "数据填报",
            IndexBody(
                rows: rows, isBureau: !role.isUnitScoped, stateFilter: stateFilter, states: states,
                campaigns: campaigns.map { SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: false) },
                canEdit: Permissions.allows(role, .editFilings) && role.isUnitScoped))
    }

    @Sendable func open(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let region = try req.selectedRegion(among: try await CampaignService.details(c, on: req.db).regions)
        do {
            let f = try await FilingService.open(
                campaign: c, regionID: try region.requireID(), indicatorCode: req.parameters.get("indicator") ?? "", by: req.caller())
            return req.redirect(to: SiteURL.filing(try f.requireID()))
        } catch let e as AppError where e.code == "not_started" {
            // Others than the lead unit see why there is nothing yet, not an error.
            return try await req.render(
                "shared/notice", title: "尚未开始填报",
                NoticePage(
                    heading: "牵头单位尚未开始填报", message: "该指标的牵头单位还没有开始填报；开始后可在此查看填报内容和流转记录。",
                    links: (Permissions.allows(try req.currentRole(), .viewDispatch)
                        ? [.init(href: try c.url(.dispatch), label: "查看每日调度")] : [])
                        + [.init(href: "/filings", label: "返回数据填报")]))
                .encodeResponse(for: req)
        }
    }

    private func page(_ req: Request, _ f: Filing, input: [String: String]? = nil, errors: [FieldProblem] = [], conflict: Bool = false)
        async throws -> View
    {
        let body = try await Self.showBody(
            f, by: req.scopedCaller(), input: input, errors: errors, conflict: conflict,
            uploadLimitMB: req.application.settings.uploadLimitBytes >> 20)
        return try await req.render("filings/show", title: body.indicatorName, body)
    }

    @Sendable func show(req: Request) async throws -> View {
        try await page(req, try await req.loadFiling())
    }

    struct SaveForm: Content {
        var version: Int?
        var answers: [String: String]?
    }

    @Sendable func save(req: Request) async throws -> Response {
        let f = try await req.loadFiling()
        let form = try req.content.decode(SaveForm.self)
        let answers = form.answers ?? [:]
        do {
            try await FilingService.save(f, answers: answers, expectedVersion: form.version, by: req.caller())
        } catch let e as AppError where e.status == .unprocessableEntity || e.code == "version_conflict" {
            let problems = (e.fields ?? [:]).map { FieldProblem(field: $0.key, message: $0.value) }
                + (e.code == "version_conflict" ? [FieldProblem(field: "version", message: e.message)] : [])
            let res = try await page(req, f, input: answers, errors: problems, conflict: e.code == "version_conflict")
                .encodeResponse(for: req)
            res.status = e.status
            return res
        }
        req.setFlash("已保存（第 \(f.version) 版）")
        return req.redirect(to: SiteURL.filing(try f.requireID()))
    }

    @Sendable func transition(req: Request) async throws -> Response {
        let f = try await req.loadFiling()
        let input = try req.content.decode(FilingTransitionInput.self)
        do {
            try await FilingService.transition(f, input, by: req.caller())
        } catch let e as AppError where e.status == .unprocessableEntity || e.status == .conflict {
            let problems = (e.fields ?? [:]).map { FieldProblem(field: $0.key, message: $0.value) }
            let res = try await page(req, f, errors: [FieldProblem(field: "_", message: e.message)] + problems)
                .encodeResponse(for: req)
            res.status = e.status
            return res
        }
        req.setFlash("已\(FilingAction(rawValue: input.action.trimmed)?.chineseName ?? "处理")")
        return req.redirect(to: SiteURL.filing(try f.requireID()))
    }

    /// Raw file body (streamed); the page's script sends `?name=&item=` and the CSRF token as a header.
    @Sendable func upload(req: Request) async throws -> FilingDTO.Attachment {
        let f = try await req.loadFiling()
        let a = try await EvidenceStore.attach(f, req: req)
        return .init(
            id: try a.requireID(), itemCode: a.itemCode, name: a.name, size: a.size, sha256: a.sha256, uploadedBy: a.uploadedBy,
            uploadedAt: a.createdAt)
    }

    @Sendable func download(req: Request) async throws -> Response {
        let f = try await req.loadFiling()
        guard let a = try await FilingAttachment.find(try req.uuidParameter("attachmentID"), on: req.db),
            a.$filing.id == f.id
        else { throw AppError.notFound("附件") }
        return try await EvidenceStore.download(a, req: req)
    }

    @Sendable func deleteAttachment(req: Request) async throws -> Response {
        let f = try await req.loadFiling()
        try FilingService.requireEdit(f, by: req.caller())
        guard let a = try await FilingAttachment.find(try req.uuidParameter("attachmentID"), on: req.db),
            a.$filing.id == f.id
        else { throw AppError.notFound("附件") }
        let user = try req.currentUser()
        try await req.db.writeTransaction { db in
            try await a.delete(on: db)
            try await AuditLog.record(
                on: db, req: req, actor: user, action: "detach", entityType: "filing", entityID: f.id,
                before: ["name": a.name, "sha256": a.sha256], after: noSnapshot)
        }
        req.setFlash("已删除附件“\(a.name)”")
        return req.redirect(to: SiteURL.filing(try f.requireID()))
    }

    struct DiffRow: Encodable {
        let code: String
        let text: String
        let before: String
        let after: String
    }

    struct DiffBody: Encodable {
        let id: String
        let indicatorName: String
        let from: Int
        let to: Int
        let rows: [DiffRow]
        let addedFiles: [String]
        let removedFiles: [String]
    }

    /// What changed between two saved versions: answers and attachments.
    @Sendable func diff(req: Request) async throws -> View {
        let f = try await req.loadFiling()
        let id = try f.requireID()
        let versions = try await FilingVersion.query(on: req.db).filter(\.$filing.$id == id).sort(\.$version).all()
        guard let last = versions.last else { throw AppError.notFound("历史版本") }
        let to = req.query[Int.self, at: "to"] ?? last.version
        let from = req.query[Int.self, at: "from"] ?? (versions.dropLast().last?.version ?? to)
        guard let a = versions.first(where: { $0.version == from }), let b = versions.first(where: { $0.version == to }) else {
            throw AppError.notFound("历史版本")
        }
        let decode: (String) -> [String: String] = { (try? JSONDecoder().decode([String: String].self, from: Data($0.utf8))) ?? [:] }
        let files: (String) -> Set<String> = { Set((try? JSONDecoder().decode([String].self, from: Data($0.utf8))) ?? []) }
        let ind = try await FilingService.indicator(f, on: req.db)
        let (va, vb) = (decode(a.answersJSON), decode(b.answersJSON))
        let rows = ind.questionnaire.compactMap { item -> DiffRow? in
            let (x, y) = (va[item.code] ?? "", vb[item.code] ?? "")
            return x == y ? nil : DiffRow(code: item.code, text: item.text, before: x, after: y)
        }
        let names = Dictionary(
            (try await FilingService.attachments(f, on: req.db)).map { ("\($0.itemCode ?? "*"):\($0.sha256)", $0.name) },
            uniquingKeysWith: { a, _ in a })
        let (fa, fb) = (files(a.attachmentsJSON), files(b.attachmentsJSON))
        return try await req.render(
            "filings/diff", title: "版本对比",
            DiffBody(
                id: id.uuidString, indicatorName: ind.nameZh, from: from, to: to, rows: rows,
                addedFiles: fb.subtracting(fa).sorted().map { names[$0] ?? String($0.suffix(12)) },
                removedFiles: fa.subtracting(fb).sorted().map { names[$0] ?? String($0.suffix(12)) }))
    }
}
