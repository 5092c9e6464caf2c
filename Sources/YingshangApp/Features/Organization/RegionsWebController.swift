import Fluent
import Vapor
import YingshangCore

/// `/regions`: the county and its townships.
struct RegionsWebController {
    struct Row: Encodable {
        let id: String
        let code: String
        let name: String
        let levelName: String
        let parentName: String
    }

    struct IndexBody: Encodable {
        let rows: [Row]
        let q: String
        let pager: Pager
        let canManage: Bool
    }

    func register(_ g: Guarded) {
        g.get("regions", action: .viewRegions, use: index)
        g.get("regions", "new", action: .manageRegions, use: new)
        g.post("regions", action: .manageRegions, use: create)
        g.get("regions", ":id", "edit", action: .manageRegions, use: edit)
        g.post("regions", ":id", action: .manageRegions, use: update)
        g.get("regions", ":id", "delete", action: .manageRegions, use: confirmDelete)
        g.post("regions", ":id", "delete", action: .manageRegions, use: delete)
    }

    @Sendable func index(req: Request) async throws -> View {
        let lq = ListQuery(req)
        let page = try await RegionService.search(lq, on: req.db)
        let parentIDs = Set(page.items.compactMap { $0.$parent.id })
        let parents = try await Region.query(on: req.db).filter(\.$id ~~ parentIDs).all()
        let names = Dictionary(uniqueKeysWithValues: parents.compactMap { p in p.id.map { ($0, p.name) } })
        let rows = page.items.map { r in
            Row(
                id: r.id?.uuidString ?? "", code: r.code, name: r.name, levelName: r.regionLevel.chineseName,
                parentName: r.$parent.id.flatMap { names[$0] } ?? "")
        }
        return try await req.render(
            "regions/index", title: "行政区划",
            IndexBody(
                rows: rows, q: lq.q, pager: Pager(metadata: page.metadata, basePath: "/regions", extra: ["q": lq.q]),
                canManage: Permissions.allows(try req.currentRole(), .manageRegions)))
    }

    private func form(_ req: Request, region: Region?, values: RegionInput, errors: [String: String]) async throws
        -> View
    {
        let candidates = try await Region.query(on: req.db).filter(\.$level != RegionLevel.township.rawValue)
            .sort(\.$code).all()
        var parents = [SelectOption(value: "", label: "（无）", selected: values.parentID.trimmed.isEmpty)]
        parents += candidates.filter { $0.id != region?.id }.map {
            SelectOption(
                value: $0.id?.uuidString ?? "", label: "\($0.name)（\($0.code)）",
                selected: $0.id?.uuidString == values.parentID)
        }
        let levels = RegionLevel.allCases.map {
            SelectOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == values.level)
        }
        let page = FormPage(
            heading: region == nil ? "新建行政区划" : "编辑行政区划",
            action: region.flatMap { $0.id.map { "/regions/\($0)" } } ?? "/regions", cancelHref: "/regions",
            values: values, errors: errors, options: ["level": levels, "parent": parents], isEdit: region != nil)
        return try await req.render("regions/form", title: page.heading, page)
    }

    @Sendable func new(req: Request) async throws -> View {
        try await form(req, region: nil, values: RegionInput(level: RegionLevel.township.rawValue), errors: [:])
    }

    @Sendable func create(req: Request) async throws -> Response {
        let input = try req.content.decode(RegionInput.self)
        return try await req.submitForm(
            successMessage: "已新建行政区划", redirectTo: "/regions",
            renderForm: { try await form(req, region: nil, values: input, errors: $0) },
            write: { _ = try await RegionService.create(input, by: req.caller()) })
    }

    @Sendable func edit(req: Request) async throws -> View {
        let region = try await req.loadRegion()
        let values = RegionInput(
            code: region.code, name: region.name, level: region.level, parentID: region.$parent.id?.uuidString)
        return try await form(req, region: region, values: values, errors: [:])
    }

    @Sendable func update(req: Request) async throws -> Response {
        let region = try await req.loadRegion()
        let input = try req.content.decode(RegionInput.self)
        return try await req.submitForm(
            successMessage: "已保存", redirectTo: "/regions",
            renderForm: { try await form(req, region: region, values: input, errors: $0) },
            write: { try await RegionService.update(region, input, by: req.caller()) })
    }

    @Sendable func confirmDelete(req: Request) async throws -> View {
        let region = try await req.loadRegion()
        let id = try region.requireID()
        return try await req.render(
            "shared/confirm-delete", title: "确认删除",
            ConfirmDeletePage(
                heading: "删除行政区划", description: "\(region.name)（\(region.code)）", action: "/regions/\(id)/delete",
                cancelHref: "/regions"))
    }

    @Sendable func delete(req: Request) async throws -> Response {
        let region = try await req.loadRegion()
        return try await req.submitForm(
            successMessage: "已删除“\(region.name)”", redirectTo: "/regions",
            renderForm: { _ in throw AppError.conflict("") },
            write: { try await RegionService.delete(region, by: req.caller()) })
    }
}
