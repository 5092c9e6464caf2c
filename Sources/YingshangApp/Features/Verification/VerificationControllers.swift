import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// Business records per indicator (import, actual values, case sample and review, verified values), flags and
/// field work.
struct VerificationWebController {
    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "records", action: .viewRegister, use: records)
        g.post("campaigns", ":id", "records", "import", action: .manageVerification, maxBody: 50 << 20, use: importRecords)
        g.get("campaigns", ":id", "records", "demo.csv", action: .manageVerification, use: demoCSV)
        g.post("campaigns", ":id", "records", ":recordID", "review", action: .manageVerification, use: review)
        g.post("campaigns", ":id", "verified-values", action: .manageVerification, use: chooseValue)
        g.get("campaigns", ":id", "flags", action: .viewFlags, use: flags)
        g.get("campaigns", ":id", "flags.xlsx", action: .viewFlags, use: flagsXLSX)
        g.post("campaigns", ":id", "flags", "run", action: .manageVerification, use: runChecks)
        g.get("flags", ":flagID", action: .viewFlags, use: flag)
        g.post("flags", ":flagID", "decide", action: .manageVerification, use: decide)
        g.post("flags", ":flagID", "respond", action: .respondFlags, use: respond)
        g.putStream("flags", ":flagID", "response-file", action: .respondFlags, use: uploadResponse)
        g.get("flags", ":flagID", "response-file", action: .viewFlags, use: responseFile)
        g.get("campaigns", ":id", "visits", action: .viewRegister, use: visits)
        g.post("campaigns", ":id", "visits", action: .manageVerification, use: addVisit)
        g.putStream("visits", ":visitID", "file", action: .manageVerification, use: uploadVisitFile)
        g.get("visits", ":visitID", "file", action: .viewRegister, use: visitFile)
    }

    // MARK: Records

    struct ObservedRow: Encodable {
        let subCode: String
        let name: String
        let unit: String
        let filed: String
        let observed: String
        let cases: Int
        let aggregation: String
        let differs: Bool
        let verified: String
    }

    struct CaseRow: Encodable {
        let id: String
        let caseID: String
        let uscc: String
        let applied: String
        let completed: String
        let workdays: String
        let counts: String
        let fee: String
        let review: String
        let reviewed: Bool
        let ok: Bool
    }

    struct RecordsBody: Encodable {
        let campaignID: String
        let campaignName: String
        let regionID: String
        let regionName: String
        let indicator: String
        let indicatorName: String
        let tabs: [SelectOption]
        let total: Int
        let observed: [ObservedRow]
        let sample: [CaseRow]
        let seed: String
        let size: String
        let canManage: Bool
        let errors: [String]
        let columns: String
    }

    private func recordsPage(_ req: Request, errors: [String] = []) async throws -> View {
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        let region = try await req.selectedRegion(of: c)
        let rid = try region.requireID()
        let indicator = req.query[String.self, at: "indicator"] ?? RecordSchema.all[0].indicatorCode
        let schema = try VerificationService.schema(indicator)
        guard let version = try await CatalogVersion.find(c.$catalogVersion.id, on: req.db), let spec = try version.catalog().indicator(indicator) else {
            throw AppError.notFound("指标")
        }
        let recs = try await VerificationService.records(cid, rid, indicator, on: req.db)
        let observed = try await VerificationService.observed(recs, indicator: indicator, on: req.db)
        let filing = try await Filing.query(on: req.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid).filter(\.$indicatorCode == indicator).first()
        let verified = try await VerifiedValue.query(on: req.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid).filter(\.$indicatorCode == indicator).all()
        let rows = schema.measures.compactMap { m -> ObservedRow? in
            guard let sub = spec.subIndicators.first(where: { $0.code == m.subCode }) else { return nil }
            let o = observed.first { $0.subCode == m.subCode }
            let filed = filing.flatMap { VerificationService.filedNumber($0.answers, spec: spec, sub: m.subCode) }
            let differs = filed.flatMap { f in o.map { !Tolerance.default(unit: sub.unit).allows(filed: f, observed: $0.value) } } ?? false
            let v = verified.first { $0.subCode == m.subCode }
            return ObservedRow(
                subCode: m.subCode, name: sub.nameZh, unit: sub.unit ?? "", filed: filed.map(CrossChecks.fmt) ?? "未填报",
                observed: o.map { CrossChecks.fmt(($0.value * 100).rounded() / 100) } ?? "—", cases: o?.cases ?? 0, aggregation: m.aggregation.chineseName,
                differs: differs, verified: v.map { "\($0.value)（\(ValueSource(rawValue: $0.source)?.chineseName ?? $0.source)：\($0.reason)）" } ?? "")
        }
        let seedText = req.query[String.self, at: "seed"] ?? ""
        let size = min(100, max(1, req.query[Int.self, at: "size"] ?? 10))
        let calendar = try await CalendarDay.workCalendar(on: req.db)
        var sample: [CaseRow] = []
        if let seed = UInt64(seedText) {
            sample = try VerificationService.sample(recs, size: size, seed: seed).map { r in
                let cr = r.caseRecord
                return CaseRow(
                    id: r.id?.uuidString ?? "", caseID: r.caseID, uscc: r.uscc, applied: r.appliedOn, completed: r.completedOn,
                    workdays: try cr.map { CrossChecks.fmt(try $0.workdays(calendar)) } ?? "—",
                    counts: (cr?.counts ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key == "steps" ? "环节" : "材料") \($0.value)" }.joined(separator: "，"),
                    fee: String(format: "%.2f", Double(r.feeFen) / 100), review: r.review ?? "", reviewed: r.reviewOK != nil, ok: r.reviewOK ?? false)
            }
        }
        let names = Dictionary(try version.catalog().indicators.map { ($0.code, $0.nameZh) }, uniquingKeysWith: { a, _ in a })
        return try await req.render(
            "verification/records", title: "业务数据核验",
            RecordsBody(
                campaignID: cid.uuidString, campaignName: c.name, regionID: rid.uuidString, regionName: region.name, indicator: indicator,
                indicatorName: spec.nameZh,
                tabs: RecordSchema.all.map { SelectOption(value: $0.indicatorCode, label: names[$0.indicatorCode] ?? $0.nameZh, selected: $0.indicatorCode == indicator) },
                total: recs.count, observed: rows, sample: sample, seed: seedText, size: String(size),
                canManage: Permissions.allows(try req.currentRole(), .manageVerification), errors: errors,
                columns: "办件编号、统一社会信用代码、申请日期、办结日期（必需），" + schema.countColumns.map(\.zh).joined(separator: "、") + "、费用（元）"))
    }

    @Sendable func records(req: Request) async throws -> View { try await recordsPage(req) }

    struct ImportForm: Content {
        var file: File?
    }

    @Sendable func importRecords(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let region = try await req.selectedRegion(of: c)
        let indicator = req.query[String.self, at: "indicator"] ?? ""
        let back = "/campaigns/\(try c.requireID())/records?region=\(try region.requireID())&indicator=\(indicator)"
        guard let file = try req.content.decode(ImportForm.self).file, file.data.readableBytes > 0 else {
            req.setFlash("请选择业务数据文件（CSV 或 XLSX）", kind: "error")
            return req.redirect(to: back)
        }
        do {
            let n = try await VerificationService.importRecords(
                c, regionID: try region.requireID(), indicator: indicator, data: Data(buffer: file.data), filename: file.filename, by: req.caller())
            req.setFlash("已导入 \(n) 条办件记录（替换该指标原有记录）")
            return req.redirect(to: back)
        } catch let e as AppError where e.status == .unprocessableEntity {
            let list = [e.message] + (e.fields ?? [:]).sorted { $0.key.count == $1.key.count ? $0.key < $1.key : $0.key.count < $1.key.count }.map(\.value)
            let res = try await recordsPage(req, errors: list).encodeResponse(for: req)
            res.status = .unprocessableEntity
            return res
        }
    }

    /// Demo data to try the import with: cases around the filed values; 开办企业 time is planted as understated.
    @Sendable func demoCSV(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        let region = try await req.selectedRegion(of: c)
        let indicator = req.query[String.self, at: "indicator"] ?? ""
        _ = try VerificationService.schema(indicator)
        guard let version = try await CatalogVersion.find(c.$catalogVersion.id, on: req.db), let spec = try version.catalog().indicator(indicator) else {
            throw AppError.notFound("指标")
        }
        let filing = try await Filing.query(on: req.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == (try region.requireID()))
            .filter(\.$indicatorCode == indicator).first()
        var filed: [String: Double] = [:]
        for sub in spec.subIndicators { filed[sub.code] = filing.flatMap { VerificationService.filedNumber($0.answers, spec: spec, sub: sub.code) } }
        let csv = try DemoRecords.csv(
            indicator: indicator, filed: filed, inflate: indicator == "starting_business" ? ["time"] : [], seed: 2022,
            calendar: try await CalendarDay.workCalendar(on: req.db))
        return Downloads.file(Data(([0xEF, 0xBB, 0xBF] as [UInt8]) + Array(csv.utf8)), name: "演示业务数据-\(spec.nameZh).csv", type: "text/csv; charset=utf-8")
    }

    struct ReviewForm: Content {
        var ok: String?
        var note: String?
        var back: String?
    }

    @Sendable func review(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        guard let r = try await BusinessRecord.find(try req.uuidParameter("recordID"), on: req.db), r.$campaign.id == c.id else {
            throw AppError.notFound("办件记录")
        }
        let f = try req.content.decode(ReviewForm.self)
        do {
            try await VerificationService.review(r, ok: f.ok == "1", note: f.note ?? "", by: req.caller())
            req.setFlash("已记录办件 \(r.caseID) 的核查结果")
        } catch let e as AppError where e.status == .unprocessableEntity {
            req.setFlash((e.fields ?? [:]).values.sorted().joined(separator: "；"), kind: "error")
        }
        let fallback = "/campaigns/\(try c.requireID())/records"
        // Only a path inside the app, never another host.
        let back = f.back.flatMap { $0.hasPrefix("/campaigns/") && !$0.contains("//") ? $0 : nil } ?? fallback
        return req.redirect(to: back)
    }

    struct ChooseForm: Content {
        var regionID: String?
        var indicator: String?
        var sub: String?
        var choice: String?
        var value: String?
        var reason: String?
    }

    @Sendable func chooseValue(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let f = try req.content.decode(ChooseForm.self)
        let cid = try c.requireID()
        guard let rid = f.regionID.flatMap(UUID.init(uuidString:)),
            try await CampaignRegion.query(on: req.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid).count() == 1
        else { throw AppError.invalid(["regionID": "被评价地区不在本次评价中"]) }
        do {
            try await VerificationService.chooseValue(
                c, regionID: rid, indicator: f.indicator.trimmed, sub: f.sub.trimmed, choice: f.choice, value: f.value, reason: f.reason, by: req.caller())
            req.setFlash("已确定核验值；重新评分后生效")
        } catch let e as AppError where e.status == .unprocessableEntity {
            req.setFlash((e.fields ?? [:]).values.sorted().joined(separator: "；"), kind: "error")
        }
        return req.redirect(to: "/campaigns/\(try c.requireID())/records?region=\(rid)&indicator=\(f.indicator.trimmed)")
    }

    // MARK: Flags

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
                pager: Pager(metadata: page.metadata, basePath: "/campaigns/\(cid)/flags", extra: ["status": status, "rule": rule]),
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
        return try Downloads.xlsx(
            name: "\(c.name)-\(region.name)-核验问题.xlsx", sheet: "核验问题",
            rows: [["规则", "指标", "单位", "填报值", "核验值", "依据", "严重程度", "状态", "说明期限"]]
                + rows.map { [$0.rule, $0.indicator, $0.unit, $0.filed, $0.observed, $0.evidence, $0.severity, $0.status, $0.deadline] },
            textColumns: [0, 1, 2, 5, 6, 7, 8])
    }

    @Sendable func runChecks(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let region = try await req.selectedRegion(of: c)
        let (fresh, found) = try await VerificationService.runChecks(c, region: region, by: req.caller())
        req.setFlash("核验完成：发现 \(found) 个疑点，其中新增 \(fresh) 个")
        return req.redirect(to: "/campaigns/\(try c.requireID())/flags?region=\(try region.requireID())")
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
        return req.redirect(to: "/flags/\(try f.requireID())")
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
        return req.redirect(to: "/flags/\(try f.requireID())")
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

    // MARK: Field work

    struct VisitRow: Encodable {
        let id: String
        let kind: String
        let day: String
        let indicator: String
        let participants: String
        let notes: String
        let flag: String?
        let fileName: String?
        let by: String
    }

    struct VisitsBody: Encodable {
        let campaignID: String
        let campaignName: String
        let regionID: String
        let rows: [VisitRow]
        let indicators: [SelectOption]
        let flags: [SelectOption]
        let canManage: Bool
        let values: VisitValues
        let errors: [String: String]
    }

    /// What the form shows: empty (today's date) or what was typed before an error.
    struct VisitValues: Encodable {
        var interview = false
        var visitedOn: String
        var participants = ""
        var notes = ""
        var raiseFlag = false
    }

    @Sendable func visits(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        let region = try await req.selectedRegion(of: c)
        return try await renderVisits(req, c, regionID: try region.requireID(), form: nil, errors: [:])
    }

    private func renderVisits(_ req: Request, _ c: Campaign, regionID rid: UUID, form f: VisitForm?, errors: [String: String]) async throws -> View {
        let cid = try c.requireID()
        let names = NationalCatalog.namesByCode
        let rows = try await FieldVisit.query(on: req.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid).sort(\.$visitedOn, .descending).all().map {
            VisitRow(
                id: $0.id?.uuidString ?? "", kind: $0.kind == "interview" ? "座谈访谈" : "实地核查", day: $0.visitedOn,
                indicator: $0.indicatorCode.flatMap { names[$0] } ?? "—", participants: $0.participants, notes: $0.notes,
                flag: $0.$flag.id?.uuidString, fileName: $0.fileName, by: $0.createdBy)
        }
        let indicators = try await CampaignIndicator.query(on: req.db).filter(\.$campaign.$id == cid).sort(\.$position).all()
        let flags = try await VerificationFlag.query(on: req.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid).filter(\.$status == "open").all()
        let code = f?.indicatorCode?.nonBlank
        let flag = f?.flagID?.nonBlank
        var values = VisitValues(visitedOn: req.clock.today.description)
        if let f {
            values = VisitValues(
                interview: f.kind == "interview", visitedOn: f.visitedOn ?? "", participants: f.participants ?? "", notes: f.notes ?? "",
                raiseFlag: f.raiseFlag == "1")
        }
        return try await req.render(
            "verification/visits", title: "实地核查与座谈访谈",
            VisitsBody(
                campaignID: cid.uuidString, campaignName: c.name, regionID: rid.uuidString, rows: rows,
                indicators: [SelectOption(value: "", label: "（不限指标）", selected: code == nil)]
                    + indicators.map { SelectOption(value: $0.code, label: $0.name, selected: $0.code == code) },
                flags: [SelectOption(value: "", label: "（不关联问题）", selected: flag == nil)]
                    + flags.map { SelectOption(value: $0.id?.uuidString ?? "", label: String($0.evidence.prefix(40)), selected: $0.id?.uuidString == flag) },
                canManage: Permissions.allows(try req.currentRole(), .manageVerification), values: values, errors: errors))
    }

    struct VisitForm: Content {
        var kind: String?
        var visitedOn: String?
        var indicatorCode: String?
        var flagID: String?
        var participants: String?
        var notes: String?
        var raiseFlag: String?
    }

    /// A visit that found a problem can raise a field-work flag on the indicator directly. Errors re-render the form
    /// with what was typed (notes of a visit are long; losing them to a redirect is not acceptable).
    @Sendable func addVisit(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let cid = try c.requireID()
        let region = try await req.selectedRegion(of: c)
        let rid = try region.requireID()
        let f = try req.content.decode(VisitForm.self)
        var errors: [String: String] = [:]
        let kind = f.kind == "interview" ? "interview" : "visit"
        let day = Day(f.visitedOn.trimmed)
        if day == nil { errors["visitedOn"] = "日期格式应为 YYYY-MM-DD" }
        let notes = f.notes.trimmed
        if notes.isEmpty || notes.count > 5000 { errors["notes"] = "请填写核查记录（不超过 5000 字）" }
        let participants = f.participants.trimmed
        if participants.count > 500 { errors["participants"] = "参加人员不超过 500 字" }
        let codes = try await CampaignIndicator.query(on: req.db).filter(\.$campaign.$id == cid).all().map(\.code)
        let code = f.indicatorCode?.nonBlank
        if let code, !codes.contains(code) { errors["indicatorCode"] = "指标不在本次评价中" }
        var flagID: UUID? = nil
        if let raw = f.flagID?.nonBlank {
            if let id = UUID(uuidString: raw), let fl = try await VerificationFlag.find(id, on: req.db), fl.$campaign.id == cid {
                flagID = id
            } else {
                errors["flagID"] = "核验问题不存在"
            }
        }
        if f.raiseFlag == "1" && code == nil { errors["indicatorCode"] = "登记问题须选择指标" }
        guard errors.isEmpty, let day else {
            return try await renderVisits(req, c, regionID: rid, form: f, errors: errors).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let user = try req.currentUser()
        let v = FieldVisit()
        v.$campaign.id = cid
        v.$region.id = rid
        v.indicatorCode = code
        v.$flag.id = flagID
        v.kind = kind
        v.visitedOn = day.description
        v.participants = participants
        v.notes = notes
        v.createdBy = user.username
        try await req.db.writeTransaction { db in
            try await v.create(on: db)
            try await AuditLog.record(
                on: db, req: req, actor: user, action: "create", entityType: "field_visit", entityID: v.id, before: noSnapshot,
                after: ["kind": kind, "day": day.description, "indicator": code ?? ""])
        }
        if f.raiseFlag == "1", let code {
            let lead = try await Assignment.query(on: req.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid).filter(\.$indicatorCode == code).first()
            _ = try await VerificationService.store(
                [FlagCandidate(
                    rule: .fieldWork, key: "field_work|\(v.id?.uuidString ?? UUID().uuidString)", indicatorCode: code, subCode: nil,
                    unitID: lead?.$leadUnit.id?.uuidString, filedValue: nil, observedValue: nil,
                    evidence: "\(day)\(kind == "interview" ? "座谈访谈" : "实地核查")：\(notes)", severity: .medium)],
                campaign: c, regionID: rid, by: req.caller())
        }
        req.setFlash("已记录\(kind == "interview" ? "座谈访谈" : "实地核查")" + (f.raiseFlag == "1" ? "，并登记为核验问题" : ""))
        return req.redirect(to: "/campaigns/\(cid)/visits?region=\(rid)")
    }

    static func findVisit(_ req: Request) async throws -> FieldVisit {
        guard let v = try await FieldVisit.find(try req.uuidParameter("visitID"), on: req.db),
            req.resolvedRegionScope.covers(v.$region.id.uuidString)
        else { throw AppError.notFound("核查记录") }
        return v
    }

    @Sendable func uploadVisitFile(req: Request) async throws -> Response {
        let v = try await Self.findVisit(req)
        return try await EvidenceStore.attachSingle(req, to: v, entity: "field_visit", auditID: v.id)
    }

    @Sendable func visitFile(req: Request) async throws -> Response {
        let v = try await Self.findVisit(req)
        return try await EvidenceStore.streamAttached(v, req: req)
    }
}

/// `GET /api/v1/campaigns/{id}/flags`, `POST /api/v1/flags/{flagID}/decision`, `POST /api/v1/flags/{flagID}/response`.
struct FlagsAPIController {
    struct FlagDTO: Content {
        let id: UUID
        let rule: String
        let indicatorCode: String?
        let subCode: String?
        let unitID: UUID?
        let filedValue: String?
        let observedValue: String?
        let evidence: String
        let severity: String
        let status: String
        let decisionNote: String?
        let response: String?
        let responseDeadline: String
    }

    static func dto(_ f: VerificationFlag) throws -> FlagDTO {
        FlagDTO(
            id: try f.requireID(), rule: f.rule, indicatorCode: f.indicatorCode, subCode: f.subCode, unitID: f.$unit.id, filedValue: f.filedValue,
            observedValue: f.observedValue, evidence: f.evidence, severity: f.severity, status: f.status, decisionNote: f.decisionNote,
            response: f.response, responseDeadline: f.responseDeadline)
    }

    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "flags", action: .viewFlags, use: list)
        g.post("flags", ":flagID", "decision", action: .manageVerification, use: decide)
        g.post("flags", ":flagID", "response", action: .respondFlags, use: respond)
    }

    @Sendable func list(req: Request) async throws -> [FlagDTO] {
        let c = try await req.loadCampaign()
        return try await VerificationWebController.visibleFlags(req, campaign: c).all().map(Self.dto)
    }

    struct DecisionInput: Content {
        var status: String?
        var note: String?
    }

    @Sendable func decide(req: Request) async throws -> FlagDTO {
        let f = try await req.loadFlag()
        let input = try req.content.decode(DecisionInput.self)
        try await VerificationService.decide(f, status: input.status, note: input.note, by: req.caller())
        return try Self.dto(f)
    }

    struct ResponseInput: Content {
        var response: String?
    }

    @Sendable func respond(req: Request) async throws -> FlagDTO {
        let f = try await req.loadFlag()
        try await VerificationService.respond(f, text: try req.content.decode(ResponseInput.self).response, by: req.caller())
        return try Self.dto(f)
    }
}
