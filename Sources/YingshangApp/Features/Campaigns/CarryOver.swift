import Fluent
import Vapor
import YingshangCore

/// `campaigns.previous_campaign_id`: the campaign a campaign was carried over from.
struct AddPreviousCampaign: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(Campaign.schema).field("previous_campaign_id", .uuid).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(Campaign.schema).deleteField("previous_campaign_id").update()
    }
}

/// Body of a carry-over: both optional (next year, and the name with the year replaced).
struct CarryOverInput: Content {
    var name: String?
    var year: Int?
    var yearText: String? = nil

    init(name: String?, year: Int?) {
        self.name = name
        self.year = year
    }

    /// A number or digits in text for the year (forms send text); any other type is refused, not read as absent.
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        guard c.contains(.year), try !c.decodeNil(forKey: .year) else { return }
        if let n = try? c.decode(Int.self, forKey: .year) {
            year = n
        } else {
            let text = try c.decode(String.self, forKey: .year).trimmingCharacters(in: .whitespaces)
            if text.isEmpty { return }
            if let n = Int(text) { year = n } else { yearText = String(text.prefix(50)) }
        }
    }

    enum CodingKeys: String, CodingKey { case name, year }
}

extension CampaignService {
    struct CarriedOver {
        let campaign: Campaign
        /// Indicators of the old campaign that the current catalog no longer has (names).
        let dropped: [String]
    }

    /// Next year's campaign from `source`: the current catalog version, the same regions and indicators (those the
    /// catalog still has), phases and period moved by the years between, the responsibility matrix (lead units and
    /// leaders to be confirmed again, cooperators, teams), bonus/deduction rules and 预警值/先进值. Filings, the
    /// schedule, tasks, registers, draws and scores belong to their year and are not copied. All or nothing.
    static func carryOver(_ source: Campaign, _ input: CarryOverInput, by caller: Caller) async throws -> CarriedOver {
        let sid = try source.requireID()
        var fields: [String: String] = [:]
        let year = input.year ?? source.year + 1
        if let typed = input.yearText {
            fields["year"] = "评价年度应为年份（数字），“\(typed)”不是数字"
        } else if year <= source.year || year > 2100 {
            fields["year"] = "新评价年度应晚于 \(source.year) 年，且不晚于 2100 年"
        }
        if !fields.isEmpty { throw AppError.invalid(fields) }
        // A second click (or a second request) must not make a second next-year campaign.
        if let existing = try await Campaign.query(on: caller.db).filter(\.$previousCampaignID == sid).filter(\.$year == year).first() {
            throw AppError.conflict("本评价任务已复制为 \(year) 年度的“\(existing.name)”，未再复制")
        }
        let name = input.name.trimmed.isEmpty ? YearOverYear.carriedName(source.name, from: source.year, to: year) : input.name.trimmed

        let (version, catalog) = try await CatalogService.requireCurrent(on: caller.db)
        let d = try await details(source, on: caller.db)
        let kept = d.indicators.filter { catalog.indicator($0.code) != nil }
        let dropped = d.indicators.filter { catalog.indicator($0.code) == nil }.map(\.name)
        let years = year - source.year
        let phases = YearOverYear.shift(d.phases, years: years)
        let copy = CampaignInput(
            name: name, year: year, startDate: YearOverYear.shift(source.start, years: years).description,
            endDate: YearOverYear.shift(source.end, years: years).description, perDay: source.perDay,
            regionIDs: d.regionIDs.map(\.uuidString), indicatorCodes: kept.map(\.code),
            phases: Dictionary(uniqueKeysWithValues: phases.map {
                ($0.kind.rawValue, CampaignInput.PhaseInput(start: $0.start.description, end: $0.end.description))
            }))
        let v: Valid
        do {
            v = try await validate(copy, catalog: catalog, on: caller.db)
        } catch let e as AppError where e.fields?["indicatorCodes"] != nil {
            throw AppError.invalid(["year": "当前指标体系中已没有原评价任务的任何指标，无法复制"])
        }

        let campaign = Campaign(name: v.name, year: v.year, catalogVersionID: try version.requireID(), start: v.start, end: v.end, perDay: v.perDay)
        campaign.previousCampaignID = sid
        let keptCodes = Set(kept.map(\.code))
        try await caller.db.writeTransaction { db in
            try await campaign.create(on: db)
            try await write(v, campaign: campaign, on: db)
            let cid = try campaign.requireID()
            try await copyMatrix(from: sid, to: cid, codes: keptCodes, on: db)
            try await copyRules(from: sid, to: cid, codes: keptCodes, by: caller, on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "carry_over", entityType: "campaign", entityID: campaign.id,
                before: ["from": sid.uuidString, "fromName": source.name],
                after: try await snapshot(campaign, on: db))
        }
        return CarriedOver(campaign: campaign, dropped: dropped)
    }

    /// The bonus/deduction rules and the 预警值/先进值 of the indicators kept.
    static func copyRules(from sid: UUID, to cid: UUID, codes: Set<String>, by caller: Caller, on db: any Database) async throws {
        if let rules = try await ScoreRuleSet.query(on: db).filter(\.$campaign.$id == sid).first() {
            let row = ScoreRuleSet()
            row.$campaign.id = cid
            row.rulesJSON = rules.rulesJSON
            row.updatedBy = caller.user.username
            try await row.create(on: db)
        }
        let lines = try await ThresholdService.lines(sid, on: db).filter { codes.contains($0.indicatorCode) }
        if !lines.isEmpty {
            let row = ScoreThresholdSet()
            row.$campaign.id = cid
            row.linesJSON = String(decoding: try JSONEncoder().encode(lines), as: UTF8.self)
            row.updatedBy = caller.user.username
            row.updatedAt = caller.clock.now()
            try await row.create(on: db)
        }
    }

    /// Lead unit, leader, cooperators and team per region × indicator; confirmations are not carried (each year's
    /// lead and cooperating units confirm their part again). Units and users deleted since are left out.
    static func copyMatrix(from sid: UUID, to cid: UUID, codes: Set<String>, on db: any Database) async throws {
        let old = try await Assignment.query(on: db).filter(\.$campaign.$id == sid).with(\.$cooperators).with(\.$members).all()
        let units = Set(try await Unit.query(on: db).all().compactMap(\.id))
        let users = Set(try await User.query(on: db).all().compactMap(\.id))
        let fresh = try await Assignment.query(on: db).filter(\.$campaign.$id == cid).all()
        let byKey = Dictionary(fresh.map { ("\($0.$region.id)|\($0.indicatorCode)", $0) }, uniquingKeysWith: { a, _ in a })
        for a in old where codes.contains(a.indicatorCode) {
            guard let target = byKey["\(a.$region.id)|\(a.indicatorCode)"], let tid = target.id else { continue }
            target.$leadUnit.id = a.$leadUnit.id.flatMap { units.contains($0) ? $0 : nil }
            target.$leader.id = a.$leader.id.flatMap { users.contains($0) ? $0 : nil }
            try await target.update(on: db)
            for c in a.cooperators where units.contains(c.$unit.id) {
                try await AssignmentCooperator(assignmentID: tid, unitID: c.$unit.id).create(on: db)
            }
            for m in a.members where users.contains(m.$user.id) {
                try await AssignmentMember(assignmentID: tid, userID: m.$user.id, teamRole: m.teamRole).create(on: db)
            }
        }
    }
}
