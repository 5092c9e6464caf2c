import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/campaigns/:id/matrix`: 一指标、一团队、一领队 by indicator and by unit, editing, confirmation and XLSX export.
struct MatrixWebController {
    struct RegionTab: Encodable {
        let id: String
        let name: String
        let active: Bool
    }

    struct Body: Encodable {
        let campaignID: String
        let campaignName: String
        let regionID: String
        let regions: [RegionTab]
        let rows: [AssignmentDTO]
        let units: [AssignmentService.UnitView]
        let canManage: Bool
        let canConfirm: Bool
        let myUnitID: String
        let byUnit: Bool
    }

    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "matrix", action: .viewCampaigns, use: byIndicator)
        g.get("campaigns", ":id", "matrix", "by-unit", action: .viewCampaigns, use: byUnit)
        g.get("campaigns", ":id", "matrix.xlsx", action: .viewCampaigns, use: export)
        g.get("campaigns", ":id", "assignments", ":assignmentID", "edit", action: .manageCampaigns, use: edit)
        g.post("campaigns", ":id", "assignments", ":assignmentID", action: .manageCampaigns, use: update)
        g.post("campaigns", ":id", "assignments", ":assignmentID", "confirm", action: .confirmAssignment, use: confirm)
    }

    private func body(_ req: Request, byUnit: Bool) async throws -> Body {
        let c = try await req.loadCampaign()
        let d = try await CampaignService.details(c, on: req.db)
        let region = try req.selectedRegion(among: d.regions)
        let rows = try await AssignmentService.matrix(c, regionID: try region.requireID(), on: req.db)
        let user = try req.currentUser()
        let role = try req.currentRole()
        var units = AssignmentService.byUnit(rows)
        if role.isUnitScoped { units = units.filter { $0.unitID == user.$unit.id } }
        return Body(
            campaignID: try c.requireID().uuidString, campaignName: c.name, regionID: try region.requireID().uuidString,
            regions: req.reachable(d.regions).map { RegionTab(id: $0.id?.uuidString ?? "", name: $0.name, active: $0.id == region.id) },
            rows: rows, units: units, canManage: req.offers(.manageCampaigns),
            canConfirm: Permissions.allows(role, .confirmAssignment), myUnitID: user.$unit.id.uuidString, byUnit: byUnit)
    }

    @Sendable func byIndicator(req: Request) async throws -> View {
        try await req.render("campaigns/matrix", title: "责任分工", try await body(req, byUnit: false))
    }

    @Sendable func byUnit(req: Request) async throws -> View {
        try await req.render("campaigns/matrix", title: "责任分工（按单位）", try await body(req, byUnit: true))
    }

    @Sendable func export(req: Request) async throws -> Response {
        let b = try await body(req, byUnit: false)
        var rows: [[Cell]] = [["序号", "指标", "牵头单位", "牵头确认", "配合单位", "领队", "团队成员"].map(Cell.text)]
        for (i, r) in b.rows.enumerated() {
            rows.append([
                .number(Double(i + 1)), .text(r.indicatorName), .text(r.leadUnit?.name ?? "（未指定）"),
                .text(r.leadUnit?.confirmed == true ? "已确认" : "未确认"),
                .text(r.cooperators.map { $0.name + ($0.confirmed ? "（已确认）" : "") }.joined(separator: "、")),
                .text(r.leader.map { "\($0.displayName)（\($0.unitName)）" } ?? ""),
                .text(r.members.map(\.displayName).joined(separator: "、")),
            ])
        }
        var unitRows: [[Cell]] = [["单位", "牵头指标", "配合指标"].map(Cell.text)]
        for u in b.units {
            unitRows.append([
                .text(u.unitName), .text(u.lead.map(\.indicatorName).joined(separator: "、")),
                .text(u.cooperating.map(\.indicatorName).joined(separator: "、")),
            ])
        }
        return try await Downloads.workbook(
            [Sheet(name: "按指标", rows: rows), Sheet(name: "按单位", rows: unitRows)], name: "\(b.campaignName)-责任分工.xlsx", req: req)
    }

    struct EditBody: Encodable {
        let campaignID: String
        let assignmentID: String
        let indicatorName: String
        let units: [SelectOption]
        let cooperators: [CampaignsWebController.Check]
        let users: [SelectOption]
        let members: [CampaignsWebController.Check]
        let errors: [String: String]
    }

    private func editPage(_ req: Request, errors: [String: String], input: AssignmentInput?) async throws -> View {
        let c = try await req.loadCampaign()
        let a = try await req.loadAssignment(of: c)
        let snap = try await AssignmentService.snapshot(a, on: req.db)
        let lead = input?.leadUnitID ?? snap.leadUnitID?.uuidString ?? ""
        let coops = Set(input?.cooperatorUnitIDs ?? snap.cooperatorUnitIDs.map(\.uuidString))
        let leader = input?.leaderUserID ?? snap.leaderUserID?.uuidString ?? ""
        let members = Set(input?.memberUserIDs ?? snap.memberUserIDs.map(\.uuidString))
        let units = try await Unit.query(on: req.db).sort(\.$code).all()
        let unitNames = Dictionary(uniqueKeysWithValues: units.compactMap { u in u.id.map { ($0, u.name) } })
        let users = try await User.query(on: req.db).filter(\.$isActive == true).sort(\.$username).all()
        let name = try await CampaignIndicator.query(on: req.db).filter(\.$campaign.$id == (try c.requireID()))
            .filter(\.$code == a.indicatorCode).first()?.name ?? a.indicatorCode
        let body = EditBody(
            campaignID: try c.requireID().uuidString, assignmentID: try a.requireID().uuidString, indicatorName: name,
            units: [SelectOption(value: "", label: "（未指定）", selected: lead.isEmpty)]
                + units.map { SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id?.uuidString == lead) },
            cooperators: units.map {
                .init(value: $0.id?.uuidString ?? "", label: $0.name, checked: coops.contains($0.id?.uuidString ?? ""))
            },
            users: [SelectOption(value: "", label: "（未指定）", selected: leader.isEmpty)]
                + users.map {
                    SelectOption(
                        value: $0.id?.uuidString ?? "", label: "\($0.displayName)（\(unitNames[$0.$unit.id] ?? "")）",
                        selected: $0.id?.uuidString == leader)
                },
            members: users.map {
                .init(
                    value: $0.id?.uuidString ?? "", label: "\($0.displayName)（\(unitNames[$0.$unit.id] ?? "")）",
                    checked: members.contains($0.id?.uuidString ?? ""))
            },
            errors: errors)
        return try await req.render("campaigns/assignment", title: "指标分工", body)
    }

    @Sendable func edit(req: Request) async throws -> View {
        try await editPage(req, errors: [:], input: nil)
    }

    @Sendable func update(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let a = try await req.loadAssignment(of: c)
        let input = try req.content.decode(AssignmentInput.self)
        return try await req.submitForm(
            successMessage: "已保存分工", redirectTo: try c.url(.matrix, query: ["region": a.$region.id.uuidString]),
            renderForm: { try await editPage(req, errors: $0, input: input) },
            write: { try await AssignmentService.update(a, input, by: req.caller()) })
    }

    @Sendable func confirm(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let a = try await req.loadAssignment(of: c)
        try await AssignmentService.confirm(a, by: req.caller())
        req.setFlash("已确认分工")
        return req.redirect(to: try c.url(.matrixByUnit, query: ["region": a.$region.id.uuidString]))
    }
}

/// File downloads with a UTF-8 (Chinese) file name.
enum Downloads {
    static func file(_ data: Data, name: String, type: String) -> Response {
        attachment(Response(status: .ok, body: .init(data: data)), name: name, type: type)
    }

    static let xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    /// A workbook download, written on the CPU threads (a large sheet takes a while to compress).
    static func workbook(_ sheets: [Sheet], name: String, req: Request) async throws -> Response {
        file(try await req.offload { try XLSX.write(sheets) }, name: name, type: xlsxType)
    }

    /// A table as shown on a page, as a workbook: cells that read as numbers become numbers, except in
    /// `textColumns` (codes and names must never turn into numbers).
    static func xlsx(name: String, sheet: String, rows: [[String]], textColumns: Set<Int> = [0], req: Request) async throws -> Response {
        let cells = rows.enumerated().map { r, row in
            row.enumerated().map { i, v -> Cell in
                r > 0 && !textColumns.contains(i) ? (Double(v).map(Cell.number) ?? .text(v)) : .text(v)
            }
        }
        return try await workbook([Sheet(name: sheet, rows: cells)], name: name, req: req)
    }

    /// A download written while it is read from the database, so a million-row export does not sit in memory.
    /// The writing counts as a request in flight from the moment the request hands it over (while the request is
    /// still counted): it runs after the middleware has let go of the request, stopping the instance must not close
    /// the database under it, and a download already answered 200 must not then be cut off because stopping began
    /// before its first byte.
    static func stream(
        name: String, type: String, inFlight: InFlight, _ write: @escaping @Sendable (any AsyncBodyStreamWriter) async throws -> Void
    ) -> Response {
        let hold = InFlightHold(inFlight)
        let body = Response.Body(managedAsyncStream: { writer in
            defer { hold.release() }
            try await write(writer)
        })
        return attachment(Response(status: .ok, body: body), name: name, type: type)
    }

    private static func attachment(_ res: Response, name: String, type: String) -> Response {
        res.headers.replaceOrAdd(name: .contentType, value: type)
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "download"
        res.headers.replaceOrAdd(
            name: .contentDisposition, value: "attachment; filename=\"download\"; filename*=UTF-8''\(encoded)")
        return res
    }
}
