import Fluent
import Vapor
import YingshangCore

/// `/campaigns`: list, create (pick indicators from the catalog, regions, phases), overview, edit and start.
struct CampaignsWebController {

    func register(_ g: Guarded) {
        g.get("campaigns", action: .viewCampaigns, use: index)
        g.get("campaigns", "new", action: .manageCampaigns, use: new)
        g.post("campaigns", action: .manageCampaigns, use: create)
        g.get("campaigns", ":id", action: .viewCampaigns, use: show)
        g.get("campaigns", ":id", "edit", action: .manageCampaigns, use: edit)
        g.post("campaigns", ":id", action: .manageCampaigns, use: update)
        g.post("campaigns", ":id", "start", action: .manageCampaigns, use: start)
        g.get("campaigns", ":id", "carry-over", action: .manageCampaigns, use: carryOverForm)
        g.post("campaigns", ":id", "carry-over", action: .manageCampaigns, use: carryOver)
    }

    @Sendable func index(req: Request) async throws -> View {
        let campaigns = try await req.visibleCampaigns().with(\.$catalogVersion).sort(\.$year, .descending)
            .sort(\.$createdAt, .descending).all()
        var rows: [Row] = []
        for c in campaigns {
            let count = try await CampaignIndicator.query(on: req.db).filter(\.$campaign.$id == (try c.requireID())).count()
            rows.append(Row(
                id: try c.requireID().uuidString, name: c.name, year: c.year, statusName: c.campaignStatus.chineseName,
                period: "\(c.startDate) 至 \(c.endDate)", indicatorCount: count, catalogVersion: c.catalogVersion.number))
        }
        return try await req.render(
            "campaigns/index", title: "评价任务",
            IndexBody(
                rows: rows, canManage: Permissions.allows(try req.currentRole(), .manageCampaigns),
                hasCatalog: try await CatalogService.current(on: req.db) != nil))
    }

    private func form(
        _ req: Request, campaign: Campaign?, input: CampaignInput, errors: [String: String]
    ) async throws -> View {
        let catalog: Catalog
        let versionNumber: Int
        if let campaign {
            let v = try await campaign.$catalogVersion.get(on: req.db)
            catalog = try v.catalog()
            versionNumber = v.number
        } else {
            let (v, c) = try await CatalogService.requireCurrent(on: req.db)
            catalog = c
            versionNumber = v.number
        }
        let counties = try await Region.query(on: req.db).filter(\.$level != RegionLevel.township.rawValue).sort(\.$code).all()
        let chosenRegions = Set(input.regionIDs ?? [])
        let chosenIndicators = Set(input.indicatorCodes ?? [])
        let phases = PhaseKind.allCases.map { k in
            PhaseField(
                kind: k.rawValue, name: k.chineseName, start: input.phases?[k.rawValue]?.start ?? "",
                end: input.phases?[k.rawValue]?.end ?? "")
        }
        // Flatten "phases.filing.start" to "phases_filing_start" for the template.
        let flat = Dictionary(uniqueKeysWithValues: errors.map { ($0.key.replacingOccurrences(of: ".", with: "_"), $0.value) })
        let body = FormBody(
            heading: campaign == nil ? "新建评价任务" : "编辑评价任务",
            action: campaign.flatMap { $0.id.map { SiteURL.campaign($0) } } ?? "/campaigns", isEdit: campaign != nil,
            isDraft: campaign?.campaignStatus != .active && campaign?.campaignStatus != .closed,
            name: input.name ?? "", year: input.year.map(String.init) ?? input.yearText ?? "", startDate: input.startDate ?? "",
            endDate: input.endDate ?? "", perDay: input.perDay.map(String.init) ?? input.perDayText ?? "2",
            regions: counties.map {
                Check(value: $0.id?.uuidString ?? "", label: "\($0.name)（\($0.code)）", checked: chosenRegions.contains($0.id?.uuidString ?? ""))
            },
            indicators: catalog.indicators.map {
                Check(value: $0.code, label: $0.nameZh, checked: chosenIndicators.contains($0.code))
            },
            phases: phases, errors: flat, catalogVersion: versionNumber)
        return try await req.render("campaigns/form", title: body.heading, body)
    }

    /// A new campaign for next year's cycle: every indicator, the county, September–December phases.
    @Sendable func new(req: Request) async throws -> View {
        let (_, catalog) = try await CatalogService.requireCurrent(on: req.db)
        let year = req.query[Int.self, at: "year"] ?? req.clock.today.year
        let county = try await Region.query(on: req.db).filter(\.$level == RegionLevel.county.rawValue).sort(\.$code).first()
        let phases = PhasePlan.defaults(year: year)
        let input = CampaignInput(
            name: "\(year) 年度县域营商环境评价", year: year, startDate: phases.first?.start.description,
            endDate: phases.last?.end.description, perDay: 2, regionIDs: county?.id.map { [$0.uuidString] } ?? [],
            indicatorCodes: catalog.indicators.map(\.code),
            phases: Dictionary(uniqueKeysWithValues: phases.map {
                ($0.kind.rawValue, CampaignInput.PhaseInput(start: $0.start.description, end: $0.end.description))
            }))
        return try await form(req, campaign: nil, input: input, errors: [:])
    }

    @Sendable func create(req: Request) async throws -> Response {
        let input = try req.content.decode(CampaignInput.self)
        var created: Campaign? = nil
        return try await req.submitForm(
            successMessage: "已创建评价任务", redirectTo: "/campaigns",
            renderForm: { try await form(req, campaign: nil, input: input, errors: $0) },
            write: { created = try await CampaignService.create(input, by: req.caller()) }
        ).redirecting(to: created.flatMap { $0.id.map { SiteURL.campaign($0) } })
    }

    @Sendable func show(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        let id = try c.requireID()
        let d = try await CampaignService.details(c, on: req.db)
        let today = req.clock.today
        let role = try req.currentRole()
        let assignments = try await Assignment.query(on: req.db).filter(\.$campaign.$id == id).all()
        let body = ShowBody(
            id: id.uuidString, name: c.name, year: c.year, status: c.campaignStatus.chineseName,
            isDraft: c.campaignStatus == .draft, period: "\(c.startDate) 至 \(c.endDate)",
            catalogVersion: try await c.$catalogVersion.get(on: req.db).number, perDay: c.perDay,
            phases: d.phases.map {
                .init(name: c.parentCampaignID != nil && $0.kind == .training ? "监测期" : $0.kind.chineseName, start: $0.start.description, end: $0.end.description,
                      current: $0.start <= today && today <= $0.end)
            },
            indicators: d.indicators.map(\.name), regions: d.regions.map(\.name),
            assigned: assignments.filter { $0.$leadUnit.id != nil }.count, totalAssignments: assignments.count,
            scheduled: try await ScheduleEntry.query(on: req.db).filter(\.$campaign.$id == id).count(),
            tasks: try await CampaignTask.query(on: req.db).filter(\.$campaign.$id == id).count(),
            canManage: req.offers(.manageCampaigns), canDispatch: Permissions.allows(role, .viewDispatch),
            canCockpit: Permissions.allows(role, .viewCockpit), canFeeds: req.offers(.manageFeeds),
            previous: try await req.visibleCampaigns().filter(\.$id == (c.previousCampaignID ?? UUID())).first().map {
                Link(href: "/campaigns/\($0.id?.uuidString ?? "")", label: $0.name)
            },
            next: try await req.visibleCampaigns().filter(\.$previousCampaignID == id).sort(\.$year).all().map {
                Link(href: "/campaigns/\($0.id?.uuidString ?? "")", label: $0.name)
            },
            roundOf: try await req.visibleCampaigns().filter(\.$id == (c.parentCampaignID ?? UUID())).first().map {
                Link(href: "/campaigns/\($0.id?.uuidString ?? "")", label: "\($0.name)（\(c.roundLabel ?? "")监测轮次）")
            },
            rounds: c.parentCampaignID == nil ? try await RoundService.list(of: c, scope: req.regionScope(), on: req.db).rounds : [],
            canRounds: c.parentCampaignID == nil && req.offers(.manageCampaigns), canScores: Permissions.allows(role, .viewScores))
        return try await req.render("campaigns/show", title: c.name, body)
    }

    private func input(of c: Campaign, on db: any Database) async throws -> CampaignInput {
        let d = try await CampaignService.details(c, on: db)
        return CampaignInput(
            name: c.name, year: c.year, startDate: c.startDate, endDate: c.endDate, perDay: c.perDay,
            regionIDs: d.regionIDs.map(\.uuidString), indicatorCodes: d.indicators.map(\.code),
            phases: Dictionary(uniqueKeysWithValues: d.phases.map {
                ($0.kind.rawValue, CampaignInput.PhaseInput(start: $0.start.description, end: $0.end.description))
            }))
    }

    @Sendable func edit(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        return try await form(req, campaign: c, input: try await input(of: c, on: req.db), errors: [:])
    }

    @Sendable func update(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        var input = try req.content.decode(CampaignInput.self)
        if c.campaignStatus != .draft {
            // Disabled checkboxes are not posted: keep the started campaign's indicators and regions.
            let current = try await self.input(of: c, on: req.db)
            input.indicatorCodes = current.indicatorCodes
            input.regionIDs = current.regionIDs
        }
        let fixedInput = input
        return try await req.submitForm(
            successMessage: "已保存", redirectTo: try c.url(),
            renderForm: { try await form(req, campaign: c, input: fixedInput, errors: $0) },
            write: { try await CampaignService.update(c, fixedInput, by: req.caller()) })
    }

    @Sendable func start(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let target = try c.url()
        do {
            try await CampaignService.start(c, by: req.caller())
        } catch let e as AppError where e.status == .unprocessableEntity || e.status == .conflict {
            req.setFlash(([e.message] + (e.fields ?? [:]).values.sorted()).joined(separator: "："), kind: "error")
            return req.redirect(to: target)
        }
        req.setFlash("评价已启动")
        return req.redirect(to: target)
    }
}

extension CampaignsWebController {
    struct CarryOverBody: Encodable {
        let id: String
        let source: String
        let name: String
        let year: String
        let indicators: Int
        let regions: Int
        let errors: [String: String]
    }

    private func carryOverPage(_ req: Request, _ c: Campaign, name: String, year: String, errors: [String: String]) async throws -> View {
        let d = try await CampaignService.details(c, on: req.db)
        return try await req.render(
            "campaigns/carry_over", title: "复制为下一年度",
            CarryOverBody(
                id: try c.requireID().uuidString, source: c.name, name: name, year: year, indicators: d.indicators.count,
                regions: d.regions.count, errors: errors))
    }

    @Sendable func carryOverForm(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        return try await carryOverPage(
            req, c, name: YearOverYear.carriedName(c.name, from: c.year, to: c.year + 1), year: String(c.year + 1), errors: [:])
    }

    @Sendable func carryOver(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let input = try req.content.decode(CarryOverInput.self)
        var created: CampaignService.CarriedOver?
        let response = try await req.submitForm(
            successMessage: "已复制为新的评价任务（筹备中）：请核对阶段日期、生成填报日程，并请各单位重新确认分工",
            redirectTo: "/campaigns",
            renderForm: {
                try await carryOverPage(req, c, name: input.name ?? "", year: input.yearText ?? input.year.map(String.init) ?? "", errors: $0)
            },
            write: { created = try await CampaignService.carryOver(c, input, by: req.caller()) })
        if let created, !created.dropped.isEmpty {
            req.setFlash("已复制为新的评价任务（筹备中）。当前指标体系已没有以下指标，未复制：" + created.dropped.joined(separator: "、"))
        }
        return response.redirecting(to: created?.campaign.id.map { SiteURL.campaign($0) })
    }
}

extension Response {
    /// Sends a successful form post to a page known only after the write (e.g. the new record's page).
    func redirecting(to path: String?) -> Response {
        guard let path, status == .seeOther else { return self }
        headers.replaceOrAdd(name: .location, value: path)
        return self
    }
}
