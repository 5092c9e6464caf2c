import Fluent
import Vapor
import YingshangCore

/// `/units`: departments, utilities, courts and the assessor; unit-scoped roles see only their own.
struct UnitsWebController {
    struct Row: Encodable {
        let id: String
        let code: String
        let name: String
        let typeName: String
        let regionName: String
        let contact: String
    }

    struct IndexBody: Encodable {
        let rows: [Row]
        let q: String
        let pager: Pager
        let canManage: Bool
    }

    func register(_ g: Guarded) {
        g.get("units", action: .viewUnits, use: index)
        g.get("units", "new", action: .manageUnits, use: new)
        g.post("units", action: .manageUnits, use: create)
        g.get("units", ":id", "edit", action: .manageUnits, use: edit)
        g.post("units", ":id", action: .manageUnits, use: update)
        g.get("units", ":id", "delete", action: .manageUnits, use: confirmDelete)
        g.post("units", ":id", "delete", action: .manageUnits, use: delete)
    }

    @Sendable func index(req: Request) async throws -> View {
        let lq = ListQuery(req)
        let page = try await UnitService.search(lq, by: req.caller())
        let regionIDs = Set(page.items.compactMap { $0.$region.id })
        let regions = try await Region.query(on: req.db).filter(\.$id ~~ regionIDs).all()
        let names = Dictionary(uniqueKeysWithValues: regions.compactMap { r in r.id.map { ($0, r.name) } })
        let rows = page.items.map { u in
            Row(
                id: u.id?.uuidString ?? "", code: u.code, name: u.name, typeName: u.unitType.chineseName,
                regionName: u.$region.id.flatMap { names[$0] } ?? "", contact: u.contact ?? "")
        }
        return try await req.render(
            "units/index", title: "单位",
            IndexBody(
                rows: rows, q: lq.q, pager: Pager(metadata: page.metadata, basePath: "/units", extra: ["q": lq.q]),
                canManage: Permissions.allows(try req.currentRole(), .manageUnits)))
    }

    private func form(_ req: Request, unit: Unit?, values: UnitInput, errors: [String: String]) async throws -> View {
        let regions = try await Region.query(on: req.db).sort(\.$code).all()
        var regionOptions = [SelectOption(value: "", label: "（无）", selected: values.regionID.trimmed.isEmpty)]
        regionOptions += regions.map {
            SelectOption(
                value: $0.id?.uuidString ?? "", label: "\($0.name)（\($0.code)）",
                selected: $0.id?.uuidString == values.regionID)
        }
        let types = UnitType.allCases.map {
            SelectOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == values.type)
        }
        let page = FormPage(
            heading: unit == nil ? "新建单位" : "编辑单位",
            action: unit.flatMap { $0.id.map { "/units/\($0)" } } ?? "/units", cancelHref: "/units",
            values: values, errors: errors, options: ["type": types, "region": regionOptions], isEdit: unit != nil)
        return try await req.render("units/form", title: page.heading, page)
    }

    @Sendable func new(req: Request) async throws -> View {
        try await form(req, unit: nil, values: UnitInput(type: UnitType.governmentDepartment.rawValue), errors: [:])
    }

    @Sendable func create(req: Request) async throws -> Response {
        let input = try req.content.decode(UnitInput.self)
        return try await req.submitForm(
            successMessage: "已新建单位", redirectTo: "/units",
            renderForm: { try await form(req, unit: nil, values: input, errors: $0) },
            write: { _ = try await UnitService.create(input, by: req.caller()) })
    }

    @Sendable func edit(req: Request) async throws -> View {
        let unit = try await req.loadUnit()
        let values = UnitInput(
            code: unit.code, name: unit.name, type: unit.type, regionID: unit.$region.id?.uuidString,
            contact: unit.contact)
        return try await form(req, unit: unit, values: values, errors: [:])
    }

    @Sendable func update(req: Request) async throws -> Response {
        let unit = try await req.loadUnit()
        let input = try req.content.decode(UnitInput.self)
        return try await req.submitForm(
            successMessage: "已保存", redirectTo: "/units",
            renderForm: { try await form(req, unit: unit, values: input, errors: $0) },
            write: { try await UnitService.update(unit, input, by: req.caller()) })
    }

    @Sendable func confirmDelete(req: Request) async throws -> View {
        let unit = try await req.loadUnit()
        let id = try unit.requireID()
        return try await req.render(
            "shared/confirm-delete", title: "确认删除",
            ConfirmDeletePage(
                heading: "删除单位", description: "\(unit.name)（\(unit.code)）", action: "/units/\(id)/delete",
                cancelHref: "/units"))
    }

    @Sendable func delete(req: Request) async throws -> Response {
        let unit = try await req.loadUnit()
        return try await req.submitForm(
            successMessage: "已删除“\(unit.name)”", redirectTo: "/units",
            renderForm: { _ in throw AppError.conflict("") },
            write: { try await UnitService.delete(unit, by: req.caller()) })
    }
}
