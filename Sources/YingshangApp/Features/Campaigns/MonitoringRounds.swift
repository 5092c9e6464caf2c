import Fluent
import SQLKit
import Vapor
import YingshangCore

/// `campaigns.parent_campaign_id`, `round_period`, `round_number`: a monitoring round (常态化监测) is a campaign of
/// its own — filings, dispatch board, verification and scoring work on it unchanged — that names the annual
/// campaign it monitors. One round per (campaign, year, period, number).
struct AddMonitoringRounds: AsyncMigration {
    func prepare(on db: any Database) async throws {
        // One column per statement: SQLite adds columns one at a time.
        try await db.schema(Campaign.schema).field("parent_campaign_id", .uuid).update()
        try await db.schema(Campaign.schema).field("round_period", .string).update()
        try await db.schema(Campaign.schema).field("round_number", .int).update()
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw(
            "CREATE UNIQUE INDEX campaigns_round ON campaigns (parent_campaign_id, year, round_period, round_number)"
        ).run()
    }

    func revert(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw("DROP INDEX campaigns_round").run()
        try await db.schema(Campaign.schema).deleteField("round_number").deleteField("round_period")
            .deleteField("parent_campaign_id").update()
    }
}

/// A new round: which period, which year and number, optionally its own filing window, and the indicators.
struct RoundInput: Content {
    var period: String?
    var year: Int?
    var yearText: String?
    var number: Int?
    var numberText: String?
    var filingStart: String?
    var filingEnd: String?
    var indicatorCodes: [String]?

    init(period: String?, year: Int?, number: Int?, filingStart: String? = nil, filingEnd: String? = nil, indicatorCodes: [String]?) {
        (self.period, self.year, self.number) = (period, year, number)
        (self.filingStart, self.filingEnd, self.indicatorCodes) = (filingStart, filingEnd, indicatorCodes)
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        period = try c.decodeIfPresent(String.self, forKey: .period)
        filingStart = try c.decodeIfPresent(String.self, forKey: .filingStart)
        filingEnd = try c.decodeIfPresent(String.self, forKey: .filingEnd)
        indicatorCodes = try c.decodeIfPresent([String].self, forKey: .indicatorCodes)
        (year, yearText) = c.lenientInt(.year)
        (number, numberText) = c.lenientInt(.number)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(period, forKey: .period)
        try c.encodeIfPresent(year, forKey: .year)
        try c.encodeIfPresent(number, forKey: .number)
        try c.encodeIfPresent(filingStart, forKey: .filingStart)
        try c.encodeIfPresent(filingEnd, forKey: .filingEnd)
        try c.encodeIfPresent(indicatorCodes, forKey: .indicatorCodes)
    }

    enum CodingKeys: String, CodingKey { case period, year, number, filingStart, filingEnd, indicatorCodes }
}

/// A round as the API and the pages list it.
struct RoundDTO: Content {
    let id: UUID
    let name: String
    let label: String
    let period: String
    let year: Int
    let number: Int
    let status: String
    let filingStart: String
    let filingEnd: String
    let indicatorCodes: [String]
    /// Filings handed in (submitted or further) of the round's region × indicator rows.
    let handedIn: Int
    let total: Int
    let scored: Bool
}

/// The trend across a campaign's rounds, for the API.
struct RoundTrendDTO: Content {
    struct Line: Content {
        let regionID: String
        let regionName: String
        let values: [Double?]
    }

    struct Series: Content {
        let code: String
        let name: String
        let lines: [Line]
    }

    var labels: [String]
    let overall: [Line]
    let indicators: [Series]
    let subsetsDiffer: Bool

    /// The round labels without scores (for roles that may not see scores).
    func labelled(_ labels: [String]) -> RoundTrendDTO {
        var copy = self
        copy.labels = labels
        return copy
    }

    init(_ t: RoundTrend.Trend) {
        func lines(_ l: [RoundTrend.Line]) -> [Line] { l.map { Line(regionID: $0.regionID, regionName: $0.regionName, values: $0.values) } }
        labels = t.labels
        overall = lines(t.overall)
        indicators = t.indicators.map { Series(code: $0.code, name: $0.name, lines: lines($0.lines)) }
        subsetsDiffer = t.subsetsDiffer
    }
}

struct RoundList: Content {
    let rounds: [RoundDTO]
    let trend: RoundTrendDTO
}

enum RoundService {
    /// Creates a round of `parent`: the parent's catalog version, regions and responsibility matrix (for the chosen
    /// indicators), rules and thresholds; phases from `MonitoringRounds.plan`. Running at once when every row has a
    /// lead unit, else in preparation until the matrix is completed. All or nothing, audited.
    static func create(_ parent: Campaign, _ input: RoundInput, by caller: Caller) async throws -> Campaign {
        let pid = try parent.requireID()
        if parent.parentCampaignID != nil {
            throw AppError.invalid(["period": "监测轮次下不能再设监测轮次，请在年度评价任务中新建"])
        }
        var fields: [String: String] = [:]
        let period = MonitoringPeriod(rawValue: input.period.trimmed)
        if period == nil { fields["period"] = "请选择监测频次：月度或季度" }
        let year = input.year ?? parent.year
        if let typed = input.yearText { fields["year"] = "监测年度应为年份（数字），“\(typed)”不是数字" }
        if let typed = input.numberText { fields["number"] = "轮次应为数字，“\(typed)”不是数字" } else if input.number == nil {
            fields["number"] = "请填写第几轮（季度 1–4，月度 1–12）"
        }
        func day(_ raw: String?, _ field: String) -> Day? {
            let raw = raw.trimmed
            if raw.isEmpty { return nil }
            guard let d = Day(raw) else {
                fields[field] = "日期格式应为 YYYY-MM-DD"
                return nil
            }
            return d
        }
        let filingStart = day(input.filingStart, "filingStart")
        let filingEnd = day(input.filingEnd, "filingEnd")
        let d = try await CampaignService.details(parent, on: caller.db)
        let offered = d.indicators.map(\.code)
        var chosen: [String] = []
        for raw in input.indicatorCodes ?? [] {
            let code = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if code.isEmpty || chosen.contains(code) { continue }
            if offered.contains(code) { chosen.append(code) } else { fields["indicatorCodes"] = "指标 \(String(code.prefix(40))) 不在本评价任务中" }
        }
        if chosen.isEmpty && fields["indicatorCodes"] == nil { fields["indicatorCodes"] = "请至少选择 1 项监测指标" }
        guard fields.isEmpty, let period, let number = input.number else { throw AppError.invalid(fields) }

        let calendar = try await CalendarDay.workCalendar(on: caller.db)
        let plan: MonitoringRoundPlan
        do {
            switch try MonitoringRounds.plan(period, year: year, number: number, calendar: calendar, filingStart: filingStart, filingEnd: filingEnd) {
            case .success(let p): plan = p
            case .failure(let f): throw AppError.invalid(f.problems)
            }
        } catch let missing as WorkCalendar.MissingYear {
            throw AppError.invalid(["number": missing.description])
        }
        // A second click must not make a second round of the same period; the unique index is the last word.
        if let existing = try await existingRound(pid, plan, on: caller.db) {
            throw AppError.conflict("本评价任务已有\(plan.label)的监测轮次“\(existing.name)”，未再创建")
        }
        // The daily filing schedule over the window, so the round's dispatch board has due dates from the start:
        // as many a day as the parent files, more if the window is too short for them.
        var schedule: [FilingSchedule.Entry] = []
        if let filing = plan.filing {
            let days = max(1, try calendar.workdays(from: filing.start, through: filing.end).count)
            let perDay = min(FilingSchedule.perDayRange.upperBound, max(parent.perDay, (chosen.count + days - 1) / days))
            if case .success(let entries) = FilingSchedule.generate(
                indicators: chosen, start: filing.start, end: filing.end, perDay: perDay, calendar: calendar)
            {
                schedule = entries
            }
        }
        let entries = schedule
        let catalog = try await parent.catalog(on: caller.db)
        let specs = chosen.compactMap { catalog.indicator($0) }
        let codes = Set(chosen)
        let v = CampaignService.Valid(
            name: "\(parent.name) · \(plan.label)监测", year: plan.year, start: plan.start, end: plan.end, perDay: parent.perDay,
            regionIDs: d.regionIDs, indicators: specs, phases: plan.phases)
        let round = Campaign(
            name: v.name, year: v.year, catalogVersionID: parent.$catalogVersion.id, start: v.start, end: v.end, perDay: v.perDay)
        round.parentCampaignID = pid
        round.roundPeriod = period.rawValue
        round.roundNumber = number
        do {
            try await caller.db.writeTransaction { db in
                try await round.create(on: db)
                let rid = try round.requireID()
                try await CampaignService.write(v, campaign: round, on: db)
                try await CampaignService.copyMatrix(from: pid, to: rid, codes: codes, on: db)
                try await CampaignService.copyRules(from: pid, to: rid, codes: codes, by: caller, on: db)
                for region in v.regionIDs {
                    for e in entries { try await ScheduleEntry(campaignID: rid, regionID: region, entry: e).create(on: db) }
                }
                // Units confirmed their part for the year; a round of the same indicators runs at once.
                let unled = try await Assignment.query(on: db).filter(\.$campaign.$id == rid).filter(\.$leadUnit.$id == nil).count()
                if unled == 0 {
                    round.status = Campaign.Status.active.rawValue
                    try await round.update(on: db)
                }
                try await AuditLog.record(
                    on: db, by: caller, action: "create_round", entityType: "campaign", entityID: round.id,
                    before: ["parent": pid.uuidString, "parentName": parent.name],
                    after: try await CampaignService.snapshot(round, on: db))
            }
        } catch let e as any DatabaseError where e.isConstraintFailure {
            throw AppError.conflict("本评价任务已有\(plan.label)的监测轮次，未再创建")
        }
        return round
    }

    private static func existingRound(_ pid: UUID, _ plan: MonitoringRoundPlan, on db: any Database) async throws -> Campaign? {
        try await Campaign.query(on: db).filter(\.$parentCampaignID == pid).filter(\.$year == plan.year)
            .filter(\.$roundPeriod == plan.period.rawValue).filter(\.$roundNumber == plan.number).first()
    }

    /// The rounds of `parent`, in time order. A round has its parent's regions, so whoever passed the parent's scope
    /// check reaches them; `list` narrows their rows and scores to the account's regions.
    static func rounds(of parent: Campaign, on db: any Database) async throws -> [Campaign] {
        let pid = try parent.requireID()
        return try await Campaign.query(on: db).filter(\.$parentCampaignID == pid).all()
            .sorted { ($0.start, $0.roundNumber ?? 0) < ($1.start, $1.roundNumber ?? 0) }
    }

    /// Each round with its filing window, progress and whether it has been scored; and the trend of the scored ones.
    static func list(of parent: Campaign, scope: RegionScope, on db: any Database) async throws -> RoundList {
        let rounds = try await rounds(of: parent, on: db)
        var dtos: [RoundDTO] = []
        var trendRounds: [RoundTrend.Round] = []
        for r in rounds {
            let rid = try r.requireID()
            let d = try await CampaignService.details(r, on: db)
            // Progress over the rows the account reaches (a county in a city's rounds counts its own).
            let total = try await Assignment.query(on: db).filter(\.$campaign.$id == rid).all()
                .filter { scope.covers($0.$region.id.uuidString) }.count
            let handedIn = try await Filing.query(on: db).filter(\.$campaign.$id == rid)
                .filter(\.$state != FilingState.draft.rawValue).all().filter { scope.covers($0.$region.id.uuidString) }.count
            let result = try await ScoringService.latest(r, on: db).map { try $0.result().restricted(to: scope) }
            let label = r.roundLabel ?? r.name
            dtos.append(RoundDTO(
                id: rid, name: r.name, label: label, period: r.roundPeriod ?? "", year: r.year, number: r.roundNumber ?? 0,
                status: r.status, filingStart: d.phase(.filing)?.start.description ?? "", filingEnd: d.phase(.filing)?.end.description ?? "",
                indicatorCodes: d.indicators.map(\.code), handedIn: handedIn, total: total, scored: result != nil))
            trendRounds.append(.init(label: label, result: result))
        }
        let indicators = try await CampaignService.details(parent, on: db).indicators.map { (code: $0.code, name: $0.name) }
        return RoundList(rounds: dtos, trend: RoundTrendDTO(RoundTrend.build(trendRounds, indicators: indicators)))
    }

    /// A unit's running rounds with what it still owes: the rows it leads whose filing is not handed in.
    struct Owed: Encodable {
        let id: String
        let name: String
        let window: String
        let owed: Int
        let total: Int
        let status: String
        let urgent: Bool
    }

    static func owed(unit: UUID?, scope: RegionScope, today: Day, on db: any Database) async throws -> [Owed] {
        guard let unit else { return [] }
        var rounds = try await Campaign.query(on: db).filter(\.$parentCampaignID != nil)
            .filter(\.$status == Campaign.Status.active.rawValue).all()
        if let visible = try await CampaignService.visibleIDs(scope, on: db) { rounds = rounds.filter { $0.id.map(visible.contains) ?? false } }
        var out: [Owed] = []
        for r in rounds.sorted(by: { $0.start < $1.start }) {
            let rid = try r.requireID()
            let leads = try await Assignment.query(on: db).filter(\.$campaign.$id == rid).filter(\.$leadUnit.$id == unit).all()
                .filter { scope.covers($0.$region.id.uuidString) }
            if leads.isEmpty { continue }
            let handed = Set(try await Filing.query(on: db).filter(\.$campaign.$id == rid).filter(\.$leadUnit.$id == unit)
                .filter(\.$state != FilingState.draft.rawValue).all().map { "\($0.$region.id)|\($0.indicatorCode)" })
            let owed = leads.filter { !handed.contains("\($0.$region.id)|\($0.indicatorCode)") }.count
            guard let filing = try await CampaignService.details(r, on: db).phase(.filing) else { continue }
            let s = MonitoringRounds.unitStatus(filing: filing, today: today, owed: owed)
            out.append(Owed(
                id: rid.uuidString, name: r.name, window: "\(filing.start) 至 \(filing.end)", owed: owed, total: leads.count,
                status: s.label, urgent: s.urgent))
        }
        return out
    }
}

extension Campaign {
    /// The period label of a round ("2026年第1季度"); nil for an annual campaign.
    var roundLabel: String? {
        guard let p = roundPeriod.flatMap(MonitoringPeriod.init(rawValue:)), let n = roundNumber else { return nil }
        return MonitoringRounds.label(p, year: year, number: n)
    }
}
