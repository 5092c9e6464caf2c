import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/rectifications`: the 整改台账 (ledger) with filters, overdue highlighting and XLSX export; item pages with
/// progress reports and files; items opened from the weakest indicators of the latest scoring run.
struct RectificationWebController {
    func register(_ g: Guarded) {
        g.get("rectifications", action: .viewRectifications, use: index)
        g.get("rectifications.xlsx", action: .viewRectifications, use: export)
        g.get("rectifications", "new", action: .editRectifications, use: new)
        g.post("rectifications", action: .editRectifications, use: create)
        g.post("rectifications", "from-scores", action: .verifyRectifications, use: fromScores)
        g.get("rectifications", ":rid", action: .viewRectifications, use: show)
        g.post("rectifications", ":rid", action: .editRectifications, use: update)
        g.post("rectifications", ":rid", "updates", action: .editRectifications, use: report)
        g.post("rectifications", ":rid", "deadline", action: .verifyRectifications, use: decideDeadline)
        g.putStream("rectifications", ":rid", "updates", ":uid", "file", action: .editRectifications, use: upload)
        g.get("rectifications", ":rid", "updates", ":uid", "file", action: .viewRectifications, use: download)
    }

    @Sendable func index(req: Request) async throws -> View {
        let f = Filter(req)
        let all = try await Self.items(req, f)
        let per = 30
        let page = ListQuery(req, defaultPer: per).page
        let slice = Array(all.dropFirst((page - 1) * per).prefix(per))
        let extra = ["campaign": f.campaignID?.uuidString ?? "", "status": f.status, "q": f.q, "overdue": f.overdue ? "1" : ""]
        let campaigns = try await req.visibleCampaigns().sort(\.$year, .descending).all()
        var regions: [SelectOption] = []
        if let cid = f.campaignID {
            let ids = try await CampaignRegion.query(on: req.db).filter(\.$campaign.$id == cid).all().map { $0.$region.id }
            regions = try await Region.query(on: req.db).filter(\.$id ~~ ids).sort(\.$code).all().map {
                SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: false)
            }
        }
        let role = try req.currentRole()
        let query = extra.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        let body = IndexBody(
            rows: slice,
            pager: Pager(metadata: PageMetadata(page: page, per: per, total: all.count), basePath: "/rectifications", extra: extra),
            campaigns: [SelectOption(value: "", label: "全部评价任务", selected: f.campaignID == nil)]
                + campaigns.map { SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id == f.campaignID) },
            statuses: [SelectOption(value: "", label: "全部状态", selected: f.status.isEmpty)]
                + RectificationStatus.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == f.status) },
            q: f.q, overdue: f.overdue, overdueCount: all.filter(\.overdue).count, query: query,
            canCreate: Permissions.allows(role, .editRectifications), canOpenFromScores: Permissions.allows(role, .verifyRectifications),
            campaignID: f.campaignID?.uuidString ?? "", regions: regions)
        return try await req.render("rectifications/index", title: "整改台账", body)
    }

    /// The ledger in the usual 整改台账 columns.
    @Sendable func export(req: Request) async throws -> Response {
        let rows = try await Self.items(req, Filter(req))
        var sheet: [[YingshangOffice.Cell]] = [
            ["序号", "指标", "存在问题（查问题）", "原因分析（摆原因）", "差距（找差距）", "整改措施（定措施）", "责任单位", "责任领导", "完成时限", "进展情况", "整改状态"].map { .text($0) }
        ]
        for (i, r) in rows.enumerated() {
            sheet.append(
                [.number(Double(i + 1))]
                    + [r.indicatorName, r.problem, r.cause, r.gap, r.measures, r.unitName, r.leader, r.deadline, r.latestProgress,
                       r.statusName + (r.overdue ? "（逾期）" : "")].map { .text($0) })
        }
        return try await Downloads.workbook([Sheet(name: "整改台账", rows: sheet)], name: "整改台账.xlsx", req: req)
    }

    private func form(_ req: Request, values: RectificationInput, errors: [String: String], action: String, heading: String) async throws -> View {
        let campaigns = try await req.visibleCampaigns().sort(\.$year, .descending).all()
        let cid = values.campaignID.flatMap(UUID.init(uuidString:)) ?? campaigns.first?.id
        var indicators: [SelectOption] = []
        var regions: [SelectOption] = []
        if let cid {
            indicators = try await CampaignIndicator.query(on: req.db).filter(\.$campaign.$id == cid).sort(\.$position).all().map {
                SelectOption(value: $0.code, label: $0.name, selected: $0.code == values.indicatorCode)
            }
            let ids = try await CampaignRegion.query(on: req.db).filter(\.$campaign.$id == cid).all().map { $0.$region.id }
            regions = try await Region.query(on: req.db).filter(\.$id ~~ ids).sort(\.$code).all().map {
                SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id?.uuidString == values.regionID)
            }
        }
        let role = try req.currentRole()
        let own = try req.currentUser().$unit.id
        let units = try await Unit.query(on: req.db).sort(\.$code).all().filter { !role.isUnitScoped || $0.id == own }
        return try await req.render(
            "rectifications/form", title: heading,
            ["form": FormBody(
                values: values, errors: errors,
                campaigns: campaigns.map { SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id == cid) },
                indicators: indicators,
                units: units.map { SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id?.uuidString == values.unitID) },
                regions: regions, action: action, heading: heading)])
    }

    @Sendable func new(req: Request) async throws -> View {
        let own = try req.currentUser().$unit.id.uuidString
        return try await form(
            req,
            values: RectificationInput(
                campaignID: req.query[String.self, at: "campaign"], indicatorCode: req.query[String.self, at: "indicator"], unitID: own,
                deadline: req.clock.today.adding(days: 90).description),
            errors: [:], action: "/rectifications", heading: "新建整改事项")
    }

    @Sendable func create(req: Request) async throws -> Response {
        let input = try req.content.decode(RectificationInput.self)
        return try await req.submitForm(
            successMessage: "已新建整改事项", redirectTo: "/rectifications?campaign=\(input.campaignID ?? "")",
            renderForm: { try await form(req, values: input, errors: $0, action: "/rectifications", heading: "新建整改事项") },
            write: { _ = try await RectificationService.create(input, by: req.caller()) })
    }

    struct OpenForm: Content {
        var campaignID: String?
        var regionID: String?
        var count: Int?
    }

    @Sendable func fromScores(req: Request) async throws -> Response {
        let f = try req.content.decode(OpenForm.self)
        guard let cid = f.campaignID.flatMap(UUID.init(uuidString:)), let c = try await Campaign.find(cid, on: req.db) else {
            throw AppError.invalid(["campaignID": "请选择评价任务"])
        }
        do {
            let n = try await RectificationService.openFromScores(c, regionID: f.regionID?.nonBlank, count: f.count ?? 3, by: req.caller())
            req.setFlash(n > 0 ? "已为得分最低的 \(n) 项指标生成整改事项，请牵头单位补充原因和措施" : "得分最低的指标都已有未完成的整改事项")
        } catch let e as AppError where e.status == .conflict || e.status == .unprocessableEntity {
            req.setFlash(((e.fields ?? [:]).values.first) ?? e.message, kind: "error")
        }
        return req.redirect(to: "/rectifications?campaign=\(cid)")
    }

    private func showPage(_ req: Request, _ r: Rectification, values: RectificationInput? = nil, errors: [String: String] = [:]) async throws -> View {
        guard let dto = try await Self.dtos([r], today: req.clock.today, on: req.db).first else { throw AppError.notFound("整改事项") }
        let role = try req.currentRole()
        let canVerify = Permissions.allows(role, .verifyRectifications)
        let v = values ?? RectificationInput(
            campaignID: r.$campaign.id.uuidString, regionID: r.$region.id.uuidString, indicatorCode: r.indicatorCode, problem: r.problem,
            cause: r.cause, gap: r.gap, measures: r.measures, unitID: r.$unit.id.uuidString, leader: r.leader, deadline: r.deadline)
        let own = try req.currentUser().$unit.id
        let units = try await Unit.query(on: req.db).sort(\.$code).all().filter { !role.isUnitScoped || $0.id == own }
        let updates = try await RectificationUpdate.query(on: req.db).filter(\.$rectification.$id == (try r.requireID())).sort(\.$at, .descending).all().map {
            UpdateRow(
                id: $0.id?.uuidString ?? "", note: $0.note, status: RectificationStatus(rawValue: $0.status)?.chineseName ?? $0.status, by: $0.by,
                at: DisplayTime.format($0.at), fileName: $0.fileName)
        }
        let canEdit = Permissions.allows(role, .editRectifications) && (r.rectificationStatus != .verified || canVerify)
        let body = ShowBody(
            item: dto,
            form: FormBody(
                values: v, errors: errors, campaigns: [], indicators: [],
                units: units.map { SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id?.uuidString == v.unitID) },
                regions: [], action: "/rectifications/\(dto.id)", heading: ""),
            updates: updates,
            targets: [SelectOption(value: "", label: "状态不变（\(RectificationRules.statusName(r.rectificationStatus, measures: r.measures))）", selected: true)]
                + RectificationRules.allowedTargets(from: r.rectificationStatus, canVerify: canVerify).map {
                    SelectOption(value: $0.rawValue, label: "改为：\($0.chineseName)", selected: false)
                },
            canEdit: canEdit, errors: errors, requestedDeadline: r.requestedDeadline, requestedBy: r.requestedBy,
            canDecideDeadline: canVerify)
        return try await req.render("rectifications/show", title: "整改事项", body)
    }

    @Sendable func show(req: Request) async throws -> View {
        try await showPage(req, try await req.loadRectification())
    }

    @Sendable func update(req: Request) async throws -> Response {
        let r = try await req.loadRectification()
        let input = try req.content.decode(RectificationInput.self)
        return try await req.submitForm(
            successMessage: "已保存整改事项", redirectTo: SiteURL.rectification(try r.requireID()),
            renderForm: { try await showPage(req, r, values: input, errors: $0) },
            write: { try await RectificationService.update(r, input, by: req.caller()) })
    }

    struct DeadlineForm: Content {
        var decision: String?
    }

    @Sendable func decideDeadline(req: Request) async throws -> Response {
        let r = try await req.loadRectification()
        let approve = try req.content.decode(DeadlineForm.self).decision == "approve"
        return try await req.submitForm(
            successMessage: approve ? "已同意调整完成时限" : "已退回时限调整申请", redirectTo: SiteURL.rectification(try r.requireID()),
            renderForm: { try await showPage(req, r, errors: $0) },
            write: { try await RectificationService.decideDeadline(r, approve: approve, by: req.caller()) })
    }

    struct ReportForm: Content {
        var note: String?
        var status: String?
    }

    @Sendable func report(req: Request) async throws -> Response {
        let r = try await req.loadRectification()
        let f = try req.content.decode(ReportForm.self)
        return try await req.submitForm(
            successMessage: "已记录整改进展", redirectTo: SiteURL.rectification(try r.requireID()),
            renderForm: { try await showPage(req, r, errors: $0) },
            write: { _ = try await RectificationService.report(r, note: f.note ?? "", status: f.status, by: req.caller()) })
    }

    static func findUpdate(_ req: Request, _ r: Rectification) async throws -> RectificationUpdate {
        guard let u = try await RectificationUpdate.find(try req.uuidParameter("uid"), on: req.db), u.$rectification.id == r.id else {
            throw AppError.notFound("整改进展")
        }
        return u
    }

    /// One evidence file per progress report, streamed and stored by content hash like filing evidence.
    @Sendable func upload(req: Request) async throws -> Response {
        let r = try await req.loadRectification()
        let u = try await Self.findUpdate(req, r)
        let user = try req.currentUser()
        let canVerify = Permissions.allows(try req.currentRole(), .verifyRectifications)
        guard u.by == user.username || canVerify else {
            throw AppError.forbidden("只能为自己填写的进展上传印证材料")
        }
        return try await EvidenceStore.attachSingle(req, to: u, entity: "rectification", auditID: r.id)
    }

    @Sendable func download(req: Request) async throws -> Response {
        let r = try await req.loadRectification()
        let u = try await Self.findUpdate(req, r)
        return try await EvidenceStore.streamAttached(u, req: req)
    }
}
