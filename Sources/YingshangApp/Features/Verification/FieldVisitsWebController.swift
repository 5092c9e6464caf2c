import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/campaigns/:id/visits`: field work — visits recorded by the assessor, their files, and a flag a visit raises.
struct FieldVisitsWebController {
    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "visits", action: .viewRegister, use: visits)
        g.post("campaigns", ":id", "visits", action: .manageVerification, use: addVisit)
        g.putStream("visits", ":visitID", "file", action: .manageVerification, use: uploadVisitFile)
        g.get("visits", ":visitID", "file", action: .viewRegister, use: visitFile)
    }

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
