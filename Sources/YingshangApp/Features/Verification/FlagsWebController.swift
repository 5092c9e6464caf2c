import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/campaigns/:id/flags` and `/flags/:flagID`: the falsification flags — the list and its workbook, running the
/// cross-checks, one flag with the assessor's decision and the unit's response and file.
struct FlagsWebController {
    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "flags", action: .viewFlags, use: flags)
        g.get("campaigns", ":id", "flags.xlsx", action: .viewFlags, use: flagsXLSX)
        // The cross-checks read every business record of the campaign: on the CPU threads.
        g.post("campaigns", ":id", "flags", "run", action: .manageVerification, use: CPUWork.whole(runChecks))
        g.get("flags", ":flagID", action: .viewFlags, use: flag)
        g.post("flags", ":flagID", "decide", action: .manageVerification, use: decide)
        g.post("flags", ":flagID", "respond", action: .respondFlags, use: respond)
        g.putStream("flags", ":flagID", "response-file", action: .respondFlags, use: uploadResponse)
        g.get("flags", ":flagID", "response-file", action: .viewFlags, use: responseFile)
    }

    struct FlagRow: Encodable {
        let id: String
        let rule: String
        let indicator: String
        let unit: String
        let filed: String
        let observed: String
        let evidence: String
        let severity: String
        let severityCode: String
        let status: String
        let statusCode: String
        let deadline: String
        let responded: Bool
    }

    static func rows(_ flags: [VerificationFlag], on db: any Database) async throws -> [FlagRow] {
        let units = Dictionary(try await Unit.query(on: db).all().compactMap { u in u.id.map { ($0, u.name) } }, uniquingKeysWith: { a, _ in a })
        let names = NationalCatalog.namesByCode
        return flags.map { f in
            FlagRow(
                id: f.id?.uuidString ?? "", rule: f.flagRule?.chineseName ?? f.rule, indicator: f.indicatorCode.flatMap { names[$0] } ?? "—",
                unit: f.$unit.id.flatMap { units[$0] } ?? "—", filed: f.filedValue ?? "—", observed: f.observedValue ?? "—", evidence: f.evidence,
                severity: Severity(rawValue: f.severity)?.chineseName ?? f.severity, severityCode: f.severity, status: f.flagStatus.chineseName,
                statusCode: f.status, deadline: f.responseDeadline, responded: f.response != nil)
        }
    }

    static func visibleFlags(_ req: Request, campaign: Campaign) async throws -> QueryBuilder<VerificationFlag> {
        var q = VerificationFlag.query(on: req.db).filter(\.$campaign.$id == (try campaign.requireID())).sort(\.$createdAt, .descending)
        if let regions = RegionScopes.ids(req.resolvedRegionScope) { q = q.filter(\.$region.$id ~~ regions) }
        if try req.currentRole().isUnitScoped { q = q.filter(\.$unit.$id == (try req.currentUser().$unit.id)) }
        if let s = req.query[String.self, at: "status"], VerificationFlag.Status(rawValue: s) != nil { q = q.filter(\.$status == s) }
        if let r = req.query[String.self, at: "rule"], FlagRule(rawValue: r) != nil { q = q.filter(\.$rule == r) }
        return q
    }

    struct FlagsBody: Encodable {
        let campaignID: String
        let campaignName: String
        let regionID: String
        let regionName: String
        let rows: [FlagRow]
        let pager: Pager
        let statuses: [SelectOption]
        let rules: [SelectOption]
        let canManage: Bool
        let counts: String
        let showVerificationNav: Bool
    }

    @Sendable func flags(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        let region = try await req.selectedRegion(of: c)
        let page = try await Self.visibleFlags(req, campaign: c).filter(\.$region.$id == (try region.requireID())).paginate(ListQuery(req, defaultPer: 30).pageRequest)
        let status = req.query[String.self, at: "status"] ?? ""
        let rule = req.query[String.self, at: "rule"] ?? ""
        // Counts over what this user may see in this region (unit users: their own unit's flags only).
        var scope = VerificationFlag.query(on: req.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == (try region.requireID()))
        if try req.currentRole().isUnitScoped { scope = scope.filter(\.$unit.$id == (try req.currentUser().$unit.id)) }
        let all = try await scope.all()
        let counts = VerificationFlag.Status.allCases.map { s in "\(s.chineseName) \(all.filter { $0.status == s.rawValue }.count)" }.joined(separator: " · ")
        return try await req.render(
            "verification/flags", title: "核验问题",
            FlagsBody(
                campaignID: cid.uuidString, campaignName: c.name, regionID: try region.requireID().uuidString, regionName: region.name,
                rows: try await Self.rows(page.items, on: req.db),
                pager: Pager(metadata: page.metadata, basePath: SiteURL.campaign(cid, .flags), extra: ["status": status, "rule": rule]),
                statuses: [SelectOption(value: "", label: "全部状态", selected: status.isEmpty)]
                    + VerificationFlag.Status.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == status) },
                rules: [SelectOption(value: "", label: "全部规则", selected: rule.isEmpty)]
                    + FlagRule.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == rule) },
                canManage: Permissions.allows(try req.currentRole(), .manageVerification), counts: counts,
                showVerificationNav: req.offers(.viewRegister)))
    }

    /// Every flag of the region this user may see (unit users: their own unit's), as the list shows them.
    @Sendable func flagsXLSX(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let region = try await req.selectedRegion(of: c)
        let flags = try await Self.visibleFlags(req, campaign: c).filter(\.$region.$id == (try region.requireID())).all()
        let rows = try await Self.rows(flags, on: req.db)
        return try await Downloads.xlsx(
            name: "\(c.name)-\(region.name)-核验问题.xlsx", sheet: "核验问题",
            rows: [["规则", "指标", "单位", "填报值", "核验值", "依据", "严重程度", "状态", "说明期限"]]
                + rows.map { [$0.rule, $0.indicator, $0.unit, $0.filed, $0.observed, $0.evidence, $0.severity, $0.status, $0.deadline] },
            textColumns: [0, 1, 2, 5, 6, 7, 8], req: req)
    }

    @Sendable func runChecks(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let region = try await req.selectedRegion(of: c)
        let (fresh, found) = try await VerificationService.runChecks(c, region: region, by: req.caller())
        req.setFlash("核验完成：发现 \(found) 个疑点，其中新增 \(fresh) 个")
        return req.redirect(to: try c.url(.flags, query: ["region": (try region.requireID()).uuidString]))
    }

    struct FlagBody: Encodable {
        let row: FlagRow
        let campaignID: String
        let decisionNote: String
        let decidedBy: String
        let response: String
        let respondedBy: String
        let responseFile: String?
        let canDecide: Bool
        let canRespond: Bool
        let deadlinePassed: Bool
        let visits: [String]
    }

    @Sendable func flag(req: Request) async throws -> View {
        let f = try await req.loadFlag()
        guard let row = try await Self.rows([f], on: req.db).first else { throw AppError.notFound("核验问题") }
        let role = try req.currentRole()
        let user = try req.currentUser()
        let passed = Day(f.responseDeadline).map { req.clock.today > $0 } ?? false
        let visits = try await FieldVisit.query(on: req.db).filter(\.$flag.$id == f.id).all().map { "\($0.visitedOn) \($0.kind == "interview" ? "座谈访谈" : "实地核查")：\($0.notes)" }
        return try await req.render(
            "verification/flag", title: "核验问题",
            FlagBody(
                row: row, campaignID: f.$campaign.id.uuidString, decisionNote: f.decisionNote ?? "", decidedBy: f.decidedBy ?? "",
                response: f.response ?? "", respondedBy: f.respondedBy ?? "", responseFile: f.responseFileName,
                canDecide: Permissions.allows(role, .manageVerification),
                canRespond: Permissions.allows(role, .respondFlags) && f.$unit.id == user.$unit.id && f.flagStatus == .open && !passed,
                deadlinePassed: passed, visits: visits))
    }

    struct DecideForm: Content {
        var status: String?
        var note: String?
    }

    @Sendable func decide(req: Request) async throws -> Response {
        let f = try await req.loadFlag()
        let form = try req.content.decode(DecideForm.self)
        do {
            try await VerificationService.decide(f, status: form.status, note: form.note, by: req.caller())
            req.setFlash(f.flagStatus == .confirmed ? "已确认该问题：将计入数据造假扣分" : "已排除该问题")
        } catch let e as AppError where e.status == .unprocessableEntity {
            req.setFlash((e.fields ?? [:]).values.sorted().joined(separator: "；"), kind: "error")
        }
        return req.redirect(to: SiteURL.flag(try f.requireID()))
    }

    struct RespondForm: Content {
        var response: String?
    }

    @Sendable func respond(req: Request) async throws -> Response {
        let f = try await req.loadFlag()
        let form = try req.content.decode(RespondForm.self)
        do {
            try await VerificationService.respond(f, text: form.response, by: req.caller())
            req.setFlash("已提交情况说明")
        } catch let e as AppError where e.status == .unprocessableEntity || e.status == .conflict {
            req.setFlash((e.fields ?? [:]).values.sorted().first ?? e.message, kind: "error")
        }
        return req.redirect(to: SiteURL.flag(try f.requireID()))
    }

    @Sendable func uploadResponse(req: Request) async throws -> Response {
        let f = try await req.loadFlag()
        let user = try req.currentUser()
        guard f.$unit.id == user.$unit.id else { throw AppError.forbidden("只能为本单位的核验问题上传材料") }
        if f.flagStatus != .open { throw AppError(status: .conflict, code: "decided", message: "该问题已有结论，不能再上传材料") }
        return try await EvidenceStore.attachSingle(req, to: f, entity: "verification_flag", auditID: f.id)
    }

    @Sendable func responseFile(req: Request) async throws -> Response {
        let f = try await req.loadFlag()
        return try await EvidenceStore.streamAttached(f, req: req)
    }

}
