import Fluent
import Vapor
import YingshangCore

/// Body of create/update, from the web form (`indicatorCodes[]`, `phases[filing][start]`) or JSON.
struct CampaignInput: Content {
    struct PhaseInput: Content {
        var start: String?
        var end: String?
    }

    var name: String?
    var year: Int?
    var startDate: String?
    var endDate: String?
    var perDay: Int?
    var regionIDs: [String]?
    var indicatorCodes: [String]?
    var phases: [String: PhaseInput]?
    /// What was typed in a number field when it is not a whole number (letters in the web form), kept for the
    /// message beside the field and for showing the input again; never a whole-page decoding error.
    var yearText: String? = nil
    var perDayText: String? = nil
}

extension CampaignInput {
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        startDate = try c.decodeIfPresent(String.self, forKey: .startDate)
        endDate = try c.decodeIfPresent(String.self, forKey: .endDate)
        regionIDs = try c.decodeIfPresent([String].self, forKey: .regionIDs)
        indicatorCodes = try c.decodeIfPresent([String].self, forKey: .indicatorCodes)
        phases = try c.decodeIfPresent([String: PhaseInput].self, forKey: .phases)
        (year, yearText) = c.lenientInt(.year)
        (perDay, perDayText) = c.lenientInt(.perDay)
    }
}

struct CampaignDTO: Content {
    struct PhaseDTO: Content {
        let kind: String
        let name: String
        let start: String
        let end: String
    }

    let id: UUID
    let name: String
    let year: Int
    let status: String
    let catalogVersion: Int
    let startDate: String
    let endDate: String
    let perDay: Int
    let regionIDs: [UUID]
    let indicatorCodes: [String]
    let phases: [PhaseDTO]
    /// The campaign this one was carried over from (last year's), if any.
    let previousCampaignID: UUID?
    /// For a monitoring round: the annual campaign it monitors, and the period ("2026年第1季度").
    var parentCampaignID: UUID? = nil
    var round: String? = nil
}

/// Audit snapshot of a campaign's settings.
struct CampaignSnapshot: Encodable {
    let name: String
    let year: Int
    let status: String
    let startDate: String
    let endDate: String
    let perDay: Int
    let indicators: [String]
    let regions: [UUID]
}

enum CampaignService {
    struct Valid {
        let name: String
        let year: Int
        let start: Day
        let end: Day
        let perDay: Int
        let regionIDs: [UUID]
        let indicators: [IndicatorSpec]
        let phases: [PhaseSpan]
    }

    /// Checks every field against the catalog the campaign is (or will be) bound to.
    static func validate(_ input: CampaignInput, catalog: Catalog, on db: any Database) async throws -> Valid {
        var fields: [String: String] = [:]
        let name = input.name.trimmed
        if name.isEmpty || name.count > 100 { fields["name"] = "名称必填，不超过 100 个字符" }
        let year = input.year ?? 0
        if let typed = input.yearText {
            fields["year"] = "评价年度应为 2000–2100 的年份（数字），“\(typed)”不是数字"
        } else if !(2000...2100).contains(year) {
            fields["year"] = "评价年度应为 2000–2100 的年份"
        }
        let start = Day(input.startDate.trimmed)
        let end = Day(input.endDate.trimmed)
        if start == nil { fields["startDate"] = "开始日期格式应为 YYYY-MM-DD" }
        if end == nil { fields["endDate"] = "结束日期格式应为 YYYY-MM-DD" }
        let perDay = input.perDay ?? 2
        if let typed = input.perDayText {
            fields["perDay"] = "每天填报指标数应为 1–20 的整数，“\(typed)”不是数字"
        } else if !FilingSchedule.perDayRange.contains(perDay) {
            fields["perDay"] = "每天填报指标数应为 1–20"
        }

        var phases: [PhaseSpan] = []
        for kind in PhaseKind.allCases {
            let p = input.phases?[kind.rawValue]
            guard let s = Day(p?.start.trimmed ?? ""), let e = Day(p?.end.trimmed ?? "") else {
                fields["phases.\(kind.rawValue).start"] = "请填写“\(kind.chineseName)”的起止日期（YYYY-MM-DD）"
                continue
            }
            phases.append(PhaseSpan(kind: kind, start: s, end: e))
        }
        if let start, let end, phases.count == PhaseKind.allCases.count {
            for p in PhasePlan.validate(campaignStart: start, campaignEnd: end, phases: phases) where fields[p.field] == nil {
                fields[p.field] = p.message
            }
        }

        let codes = (input.indicatorCodes ?? []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var indicators: [IndicatorSpec] = []
        for code in codes where !indicators.contains(where: { $0.code == code }) {
            if let spec = catalog.indicator(code) { indicators.append(spec) } else {
                fields["indicatorCodes"] = "指标 \(code) 不在指标体系中"
            }
        }
        if codes.isEmpty { fields["indicatorCodes"] = "请至少选择 1 项评价指标" }

        var regionIDs: [UUID] = []
        for raw in input.regionIDs ?? [] where !raw.isEmpty {
            guard let id = UUID(uuidString: raw), let region = try await Region.find(id, on: db) else {
                fields["regionIDs"] = "被评价地区不存在"
                continue
            }
            if region.regionLevel == .township { fields["regionIDs"] = "被评价地区应为县（市、区），不能是乡镇：\(region.name)" }
            if !regionIDs.contains(id) { regionIDs.append(id) }
        }
        if regionIDs.isEmpty && fields["regionIDs"] == nil { fields["regionIDs"] = "请至少选择 1 个被评价地区" }

        guard fields.isEmpty, let start, let end else { throw AppError.invalid(fields) }
        // Keep the catalog's order, which is the order of the filing schedule.
        let order = Dictionary(uniqueKeysWithValues: catalog.indicators.enumerated().map { ($1.code, $0) })
        indicators.sort { (order[$0.code] ?? 0) < (order[$1.code] ?? 0) }
        return Valid(
            name: name, year: year, start: start, end: end, perDay: perDay, regionIDs: regionIDs, indicators: indicators,
            phases: phases)
    }

    static func create(_ input: CampaignInput, by caller: Caller) async throws -> Campaign {
        let (version, catalog) = try await CatalogService.requireCurrent(on: caller.db)
        let v = try await validate(input, catalog: catalog, on: caller.db)
        try requireInScope(v.regionIDs, caller)
        let campaign = Campaign(
            name: v.name, year: v.year, catalogVersionID: try version.requireID(), start: v.start, end: v.end, perDay: v.perDay)
        try await caller.db.writeTransaction { db in
            try await campaign.create(on: db)
            try await write(v, campaign: campaign, on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "create", entityType: "campaign",
                entityID: campaign.id, before: noSnapshot, after: try await snapshot(campaign, on: db))
        }
        return campaign
    }

    /// Settings can change at any time; indicators and regions only while the campaign is in preparation.
    static func update(_ campaign: Campaign, _ input: CampaignInput, by caller: Caller) async throws {
        let catalog = try await campaign.catalog(on: caller.db)
        let v = try await validate(input, catalog: catalog, on: caller.db)
        try requireInScope(v.regionIDs, caller)
        let current = try await details(campaign, on: caller.db)
        if campaign.campaignStatus != .draft
            && (Set(v.indicators.map(\.code)) != Set(current.indicators.map(\.code)) || Set(v.regionIDs) != Set(current.regionIDs))
        {
            throw AppError.invalid(["indicatorCodes": "评价已启动，不能再修改评价指标和被评价地区"])
        }
        let before = try await snapshot(campaign, on: caller.db)
        campaign.name = v.name
        campaign.year = v.year
        campaign.startDate = v.start.description
        campaign.endDate = v.end.description
        campaign.perDay = v.perDay
        try await caller.db.writeTransaction { db in
            try await campaign.update(on: db)
            try await write(v, campaign: campaign, on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "update", entityType: "campaign",
                entityID: campaign.id, before: before, after: try await snapshot(campaign, on: db))
        }
    }

    /// Syncs regions, indicators, phases and the assignment rows (one per region × indicator).
    static func write(_ v: Valid, campaign: Campaign, on db: any Database) async throws {
        let id = try campaign.requireID()
        try await CampaignPhase.query(on: db).filter(\.$campaign.$id == id).delete()
        for p in v.phases { try await CampaignPhase(campaignID: id, span: p).create(on: db) }

        try await CampaignIndicator.query(on: db).filter(\.$campaign.$id == id).delete()
        for (i, ind) in v.indicators.enumerated() {
            try await CampaignIndicator(campaignID: id, code: ind.code, name: ind.nameZh, position: i).create(on: db)
        }
        try await CampaignRegion.query(on: db).filter(\.$campaign.$id == id).delete()
        for r in v.regionIDs { try await CampaignRegion(campaignID: id, regionID: r).create(on: db) }

        let codes = Set(v.indicators.map(\.code))
        let regions = Set(v.regionIDs)
        let existing = try await Assignment.query(on: db).filter(\.$campaign.$id == id).all()
        for a in existing where !codes.contains(a.indicatorCode) || !regions.contains(a.$region.id) {
            try await a.delete(on: db)
        }
        let have = Set(existing.map { "\($0.$region.id)|\($0.indicatorCode)" })
        for r in v.regionIDs {
            for ind in v.indicators where !have.contains("\(r)|\(ind.code)") {
                try await Assignment(campaignID: id, regionID: r, indicatorCode: ind.code).create(on: db)
            }
        }
        try await ScheduleEntry.query(on: db).filter(\.$campaign.$id == id).group(.or) {
            $0.filter(\.$indicatorCode !~ Array(codes)).filter(\.$region.$id !~ Array(regions))
        }.delete()
    }

    struct Details {
        let regionIDs: [UUID]
        let regions: [Region]
        let indicators: [CampaignIndicator]
        let phases: [PhaseSpan]

        func phase(_ kind: PhaseKind) -> PhaseSpan? { phases.first { $0.kind == kind } }
    }

    static func details(_ campaign: Campaign, on db: any Database) async throws -> Details {
        let id = try campaign.requireID()
        let regionIDs = try await CampaignRegion.query(on: db).filter(\.$campaign.$id == id).all().map { $0.$region.id }
        let regions = try await Region.query(on: db).filter(\.$id ~~ regionIDs).sort(\.$code).all()
        let indicators = try await CampaignIndicator.query(on: db).filter(\.$campaign.$id == id).sort(\.$position).all()
        let phases = try await CampaignPhase.query(on: db).filter(\.$campaign.$id == id).all().compactMap(\.span)
            .sorted { $0.start < $1.start }
        return Details(regionIDs: regions.compactMap(\.id), regions: regions, indicators: indicators, phases: phases)
    }

    static func snapshot(_ c: Campaign, on db: any Database) async throws -> CampaignSnapshot {
        let d = try await details(c, on: db)
        return CampaignSnapshot(
            name: c.name, year: c.year, status: c.status, startDate: c.startDate, endDate: c.endDate, perDay: c.perDay,
            indicators: d.indicators.map(\.code), regions: d.regionIDs)
    }

    static func dto(_ c: Campaign, on db: any Database) async throws -> CampaignDTO {
        let d = try await details(c, on: db)
        let version = try await c.$catalogVersion.get(on: db)
        return CampaignDTO(
            id: try c.requireID(), name: c.name, year: c.year, status: c.status, catalogVersion: version.number,
            startDate: c.startDate, endDate: c.endDate, perDay: c.perDay, regionIDs: d.regionIDs,
            indicatorCodes: d.indicators.map(\.code),
            phases: d.phases.map {
                .init(kind: $0.kind.rawValue, name: $0.kind.chineseName, start: $0.start.description, end: $0.end.description)
            }, previousCampaignID: c.previousCampaignID, parentCampaignID: c.parentCampaignID, round: c.roundLabel)
    }

    /// Starting requires a lead unit for every indicator in every assessed region.
    static func start(_ campaign: Campaign, by caller: Caller) async throws {
        guard campaign.campaignStatus == .draft else { throw AppError.conflict("评价已经启动") }
        let id = try campaign.requireID()
        let d = try await details(campaign, on: caller.db)
        let names = Dictionary(uniqueKeysWithValues: d.indicators.map { ($0.code, $0.name) })
        let regionNames = Dictionary(uniqueKeysWithValues: d.regions.compactMap { r in r.id.map { ($0, r.name) } })
        let missing = try await Assignment.query(on: caller.db).filter(\.$campaign.$id == id).filter(\.$leadUnit.$id == nil)
            .all()
        if !missing.isEmpty {
            let list = missing.map { "\(regionNames[$0.$region.id] ?? "")·\(names[$0.indicatorCode] ?? $0.indicatorCode)" }
                .sorted()
            throw AppError.invalid(
                ["leadUnit": "以下指标尚未指定牵头单位：" + list.joined(separator: "、")], message: "启动失败：每项指标都必须有牵头单位")
        }
        let before = try await snapshot(campaign, on: caller.db)
        campaign.status = Campaign.Status.active.rawValue
        try await caller.db.writeTransaction { db in
            try await campaign.update(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "start", entityType: "campaign",
                entityID: campaign.id, before: before, after: try await snapshot(campaign, on: db))
        }
    }



    /// A campaign none of whose regions the account reaches does not exist for it (404, as for a random id); one it
    /// reaches in part is refused (403) for actions on the whole campaign (settings, register, draw, scoring runs).
    @discardableResult
    static func checkScope(
        _ c: Campaign, scope: RegionScope, action: Action?, on db: any Database
    ) async throws -> RegionScope.CampaignAccess {
        guard !scope.isUnrestricted else { return .whole }
        let cid = try c.requireID()
        let regions = try await CampaignRegion.query(on: db).filter(\.$campaign.$id == cid).all().map { $0.$region.id.uuidString }
        let access = scope.access(campaignRegions: regions)
        switch access {
        case .none:
            throw AppError.notFound("评价任务")
        case .part:
            if let action, RegionScope.needsWholeCampaign(action) {
                throw AppError.forbidden("此操作涉及整个评价任务的所有被评价地区，您的账户只管辖其中一部分")
            }
        case .whole:
            break
        }
        return access
    }

    /// A region-bound account assesses only regions inside its scope (a county cannot open a campaign on its neighbour).
    static func requireInScope(_ regionIDs: [UUID], _ caller: Caller) throws {
        guard caller.scope.mayGrant(regionIDs.map(\.uuidString)) else {
            throw AppError.invalid(["regionIDs": "只能选择本人管辖范围内的被评价地区"])
        }
    }

    /// The ids of the campaigns an account's scope reaches (any of their regions); nil when unrestricted.
    static func visibleIDs(_ scope: RegionScope, on db: any Database) async throws -> [UUID]? {
        guard let regionIDs = RegionScopes.ids(scope) else { return nil }
        guard !regionIDs.isEmpty else { return [] }
        return Array(Set(try await CampaignRegion.query(on: db).filter(\.$region.$id ~~ regionIDs).all().map { $0.$campaign.id }))
    }

}


struct CampaignAccessKey: StorageKey { typealias Value = RegionScope.CampaignAccess }

extension Request {
    /// Whether the page may offer `action`: the role allows it and, on a campaign page (after `CampaignService.find`),
    /// the account reaches enough of the campaign for it (a county in a city's campaign runs no scoring).
    func offers(_ action: Action) -> Bool {
        guard let role = try? currentRole() else { return false }
        return RegionScope.allows(role, action, access: storage[CampaignAccessKey.self] ?? .whole)
    }
}

extension Request {
    /// The campaign regions the account reaches: the region tabs and choosers of a campaign page offer only these.
    func reachable(_ regions: [Region]) -> [Region] {
        let scope = resolvedRegionScope
        return regions.filter { scope.covers($0.id?.uuidString) }
    }
}
