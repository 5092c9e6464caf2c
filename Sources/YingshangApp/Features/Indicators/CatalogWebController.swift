import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `/catalog`: the indicator system, one indicator's sub-indicators, questionnaire and guide; editing, import, export.
struct CatalogWebController {

    func register(_ g: Guarded) {
        g.get("catalog", action: .viewCatalog, use: index)
        g.get("catalog", "indicators", ":code", action: .viewCatalog, use: show)
        g.get("catalog", "indicators", ":code", "edit", action: .manageCatalog, use: edit)
        g.post("catalog", "indicators", ":code", action: .manageCatalog, use: update)
        g.post("catalog", "indicators", action: .manageCatalog, use: create)
        g.post("catalog", "load-national", action: .manageCatalog, use: loadNational)
        g.post("catalog", "add-bready", action: .manageCatalog, use: addBReady)
        g.get("catalog", "export.json", action: .viewCatalog, use: exportJSON)
        g.get("catalog", "export.xlsx", action: .viewCatalog, use: exportXLSX)
        g.post("catalog", "import", action: .manageCatalog, maxBody: 10 << 20, use: importFile)
    }

    /// The version to show: `?version=N` or the current one.
    private func viewed(_ req: Request) async throws -> CatalogVersion? {
        if let n = req.query[Int.self, at: "version"] {
            guard let v = try await CatalogService.version(n, on: req.db) else { throw AppError.notFound("指标体系版本") }
            return v
        }
        return try await CatalogService.current(on: req.db)
    }

    private func indexBody(_ req: Request, importErrors: [String] = []) async throws -> IndexBody {
        let shown = try await viewed(req)
        let current = try await CatalogService.current(on: req.db)
        let all = try await CatalogVersion.query(on: req.db).sort(\.$number, .descending).all()
        let used = Set(try await Campaign.query(on: req.db).all().map { $0.$catalogVersion.id })
        let versions = all.map {
            VersionRow(
                number: $0.number, note: $0.note, createdBy: $0.createdBy, updatedAt: DisplayTime.format($0.updatedAt),
                isUsed: $0.id.map(used.contains) ?? false, isViewed: $0.number == shown?.number)
        }
        let catalog = try shown?.catalog()
        let rows = (catalog?.indicators ?? []).map {
            IndicatorRow(
                code: $0.code, nameZh: $0.nameZh, nameEn: $0.nameEn, weight: XLSXNumber.format($0.weight),
                subCount: $0.subIndicators.count, itemCount: $0.questionnaire.count)
        }
        return IndexBody(
            hasCatalog: shown != nil, version: versions.first { $0.isViewed }, versions: versions, rows: rows,
            canManage: Permissions.allows(try req.currentRole(), .manageCatalog),
            viewingOld: shown != nil && shown?.number != current?.number, importErrors: importErrors)
    }

    @Sendable func index(req: Request) async throws -> View {
        try await req.render("catalog/index", title: "指标体系", try await indexBody(req))
    }

    @Sendable func show(req: Request) async throws -> View {
        guard let version = try await viewed(req) else { throw AppError.notFound("指标体系") }
        let code = req.parameters.get("code") ?? ""
        guard let ind = try version.catalog().indicator(code) else { throw AppError.notFound("指标 \(code) ") }
        let subs = ind.subIndicators.map { s in
            SubDisplay(
                code: s.code, nameZh: s.nameZh, nameEn: s.nameEn, kind: s.kind.chineseName, unit: s.unit ?? "",
                direction: s.direction?.chineseName ?? "", best: s.best.map(XLSXNumber.format) ?? "",
                worst: s.worst.map(XLSXNumber.format) ?? "", weight: XLSXNumber.format(s.weight), evidence: s.evidenceRequired,
                options: s.options.map { "\($0.label)（\(XLSXNumber.format($0.points)) 分）" }.joined(separator: "；"))
        }
        let names = Dictionary(uniqueKeysWithValues: ind.subIndicators.map { ($0.code, $0.nameZh) })
        let groups = Dimension.allCases.compactMap { dim -> DimensionGroup? in
            let items = ind.questionnaire.filter { $0.dimension == dim }.map {
                ItemDisplay(code: $0.code, text: $0.text, help: $0.help, sub: $0.subIndicatorCode.flatMap { names[$0] } ?? "")
            }
            return items.isEmpty ? nil : DimensionGroup(name: dim.chineseName, items: items)
        }
        let current = try await CatalogService.current(on: req.db)
        return try await req.render(
            "catalog/show", title: ind.nameZh,
            ShowBody(
                versionNumber: version.number, code: ind.code, nameZh: ind.nameZh, nameEn: ind.nameEn,
                description: ind.description, weight: XLSXNumber.format(ind.weight), subs: subs, groups: groups,
                guideHTML: SafeMarkdown.render(ind.guide.markdown), documents: ind.guide.requiredDocuments,
                canManage: Permissions.allows(try req.currentRole(), .manageCatalog),
                isCurrent: version.number == current?.number))
    }

    private func editPage(_ req: Request, code: String, form: IndicatorForm, problems: [FieldProblem]) async throws
        -> View
    {
        let (version, _) = try await CatalogService.requireCurrent(on: req.db)
        var errors: [String: String] = [:]
        for p in problems { errors[p.field, default: ""] += (errors[p.field] == nil ? "" : "；") + p.message }
        func rowError(_ prefix: String) -> String {
            errors.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }.map(\.value).joined(separator: "；")
        }
        let subRows = IndicatorForm.ordered(form.subs).filter { !$0.code.trimmed.isEmpty } + [IndicatorForm.SubRow(), IndicatorForm.SubRow()]
        let itemRows = IndicatorForm.ordered(form.items).filter { !$0.code.trimmed.isEmpty } + Array(repeating: IndicatorForm.ItemRow(), count: 3)
        let body = EditBody(
            code: code, form: form,
            subs: subRows.enumerated().map { EditRow(index: $0, row: $1, error: rowError("ind.subIndicators[\($0)]")) },
            items: itemRows.enumerated().map { EditRow(index: $0, row: $1, error: rowError("ind.questionnaire[\($0)]")) },
            errors: Dictionary(uniqueKeysWithValues: errors.filter { !$0.key.contains("[") }.map {
                (String($0.key.dropFirst("ind.".count)).replacingOccurrences(of: ".", with: "_"), $0.value)
            }),
            kinds: SubIndicatorKind.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: false) },
            directions: [SelectOption(value: "", label: "—", selected: false)]
                + Direction.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: false) },
            dimensions: Dimension.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: false) },
            willCreateVersion: try await CatalogService.isUsed(version, on: req.db))
        return try await req.render("catalog/edit", title: "编辑指标", body)
    }

    @Sendable func edit(req: Request) async throws -> View {
        let (_, catalog) = try await CatalogService.requireCurrent(on: req.db)
        let code = req.parameters.get("code") ?? ""
        guard let ind = catalog.indicator(code) else { throw AppError.notFound("指标 \(code) ") }
        return try await editPage(req, code: code, form: IndicatorForm(ind), problems: [])
    }

    @Sendable func update(req: Request) async throws -> Response {
        let (_, catalog) = try await CatalogService.requireCurrent(on: req.db)
        let code = req.parameters.get("code") ?? ""
        guard let index = catalog.indicators.firstIndex(where: { $0.code == code }) else {
            throw AppError.notFound("指标 \(code) ")
        }
        let form = try req.content.decode(IndicatorForm.self)
        let (spec, parseProblems) = form.spec()
        var updated = catalog
        updated.indicators[index] = spec
        var problems = parseProblems
        // Re-key the whole-catalog problems of this indicator to the form's paths.
        for p in CatalogValidation.validate(updated) {
            if p.field.hasPrefix("indicators[\(index)]") {
                problems.append(.init(field: "ind" + p.field.dropFirst("indicators[\(index)]".count), message: p.message))
            } else if p.field.hasPrefix("indicators[") && p.message.contains(spec.code) {
                problems.append(.init(field: "ind.code", message: p.message))
            } else if !p.field.hasPrefix("indicators[") {
                problems.append(.init(field: "ind.weight", message: p.message))
            }
        }
        if !problems.isEmpty {
            let view = try await editPage(req, code: code, form: form, problems: problems)
            let res = try await view.encodeResponse(for: req)
            res.status = .unprocessableEntity
            return res
        }
        let (version, isNew) = try await CatalogService.save(
            updated, note: "修改指标 \(spec.code) \(spec.nameZh)", by: req.caller(), clock: req.clock, on: req.db)
        req.setFlash(isNew ? "已保存为新版本 V\(version.number)（原版本已被评价任务使用，保持不变）" : "已保存指标 \(spec.nameZh)")
        return req.redirect(to: "/catalog/indicators/\(spec.code)")
    }

    struct NewIndicator: Content {
        var code: String?
        var nameZh: String?
    }

    @Sendable func create(req: Request) async throws -> Response {
        let (_, catalog) = try await CatalogService.requireCurrent(on: req.db)
        let f = try req.content.decode(NewIndicator.self)
        var updated = catalog
        updated.indicators.append(IndicatorSpec(
            code: f.code.trimmed, nameZh: f.nameZh.trimmed, nameEn: "", description: "", subIndicators: [], questionnaire: [],
            guide: FilingGuide(markdown: "", requiredDocuments: [])))
        do {
            try await CatalogService.save(
                updated, note: "新增指标 \(f.code.trimmed)", by: req.caller(), clock: req.clock, on: req.db)
        } catch let e as AppError where e.status == .unprocessableEntity {
            req.setFlash("新增失败：" + (e.fields ?? [:]).values.sorted().joined(separator: "；"), kind: "error")
            return req.redirect(to: "/catalog")
        }
        return req.redirect(to: "/catalog/indicators/\(f.code.trimmed)/edit")
    }

    @Sendable func loadNational(req: Request) async throws -> Response {
        let (version, isNew) = try await CatalogService.loadNational(by: req.caller(), clock: req.clock, on: req.db)
        req.setFlash(isNew ? "已载入国家指标体系（V\(version.number)）" : "国家指标体系已载入（V\(version.number)）")
        return req.redirect(to: "/catalog")
    }

    @Sendable func addBReady(req: Request) async throws -> Response {
        let (version, isNew) = try await CatalogService.addBReady(by: req.caller(), clock: req.clock, on: req.db)
        req.setFlash(isNew ? "已加入 B-READY 式模板的 10 个主题（V\(version.number)）" : "B-READY 式模板已在当前指标体系中（V\(version.number)）")
        return req.redirect(to: "/catalog")
    }

    @Sendable func exportJSON(req: Request) async throws -> Response {
        guard let v = try await viewed(req) else { throw AppError.notFound("指标体系") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Downloads.file(try encoder.encode(try v.catalog()), name: "指标体系-V\(v.number).json", type: "application/json")
    }

    @Sendable func exportXLSX(req: Request) async throws -> Response {
        guard let v = try await viewed(req) else { throw AppError.notFound("指标体系") }
        return try await Downloads.workbook(CatalogWorkbook.sheets(try v.catalog()), name: "指标体系-V\(v.number).xlsx", req: req)
    }

    struct ImportForm: Content {
        var file: File?
    }

    /// JSON or XLSX; any problem rejects the whole file and lists the problems.
    @Sendable func importFile(req: Request) async throws -> Response {
        let form = try req.content.decode(ImportForm.self)
        guard let file = form.file, file.data.readableBytes > 0 else {
            return try await importFailed(req, ["请选择要导入的 .json 或 .xlsx 文件"])
        }
        let data = Data(buffer: file.data)
        let catalog: Catalog
        do {
            let filename = file.filename
            catalog = try await req.offload { try CatalogImport.parse(data, filename: filename) }
        } catch let e as CatalogImport.Failure {
            return try await importFailed(req, e.messages)
        }
        do {
            let (version, isNew) = try await CatalogService.save(
                catalog, note: "导入 \(file.filename)", by: req.caller(), clock: req.clock, on: req.db)
            req.setFlash("已导入 \(catalog.indicators.count) 项指标" + (isNew ? "，生成新版本 V\(version.number)" : "（V\(version.number)）"))
        } catch let e as AppError where e.status == .unprocessableEntity {
            return try await importFailed(req, (e.fields ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)：\($0.value)" })
        }
        return req.redirect(to: "/catalog")
    }

    private func importFailed(_ req: Request, _ messages: [String]) async throws -> Response {
        let view = try await req.render("catalog/index", title: "指标体系", try await indexBody(req, importErrors: messages))
        let res = try await view.encodeResponse(for: req)
        res.status = .unprocessableEntity
        return res
    }
}
