import Fluent
import Vapor
import YingshangCore

struct ScheduleInput: Content {
    var perDay: Int?
    /// One "indicator_code YYYY-MM-DD" per line (web textarea).
    var fixed: String?
    /// The same as a map (API).
    var fixedDates: [String: String]?
}

struct ScheduleEntryDTO: Content {
    let indicatorCode: String
    let indicatorName: String
    let day: String
    let weekday: String
    let fixed: Bool
}

/// Generates and stores the filing schedule (每天 N 个指标) for every assessed region of a campaign.
enum ScheduleService {
    static func parseFixed(_ input: ScheduleInput, known: Set<String>) -> ([String: Day], [String]) {
        var fixed: [String: Day] = [:]
        var problems: [String] = []
        for (code, raw) in input.fixedDates ?? [:] {
            if let d = Day(raw) { fixed[code] = d } else { problems.append("指标 \(code) 的固定日期“\(raw)”格式应为 YYYY-MM-DD") }
        }
        for (i, line) in (input.fixed ?? "").split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "，" }).map(String.init)
            if parts.isEmpty { continue }
            guard parts.count == 2, let d = Day(parts[1]) else {
                problems.append("固定日期第 \(i + 1) 行：应为“指标代码 日期”，如 paying_taxes 2022-10-20")
                continue
            }
            fixed[parts[0]] = d
        }
        for code in fixed.keys.sorted() where !known.contains(code) {
            problems.append("固定日期中的指标 \(code) 不在本次评价的指标中")
        }
        return (fixed, problems)
    }

    /// Replaces the schedule of every assessed region; nothing changes when any problem is found.
    static func generate(_ campaign: Campaign, _ input: ScheduleInput, by caller: Caller) async throws -> [FilingSchedule.Entry] {
        let d = try await CampaignService.details(campaign, on: caller.db)
        let codes = d.indicators.map(\.code)
        let (fixed, problems) = parseFixed(input, known: Set(codes))
        if !problems.isEmpty { throw AppError.invalid(["fixed": problems.joined(separator: "；")]) }
        guard let filing = d.phase(.filing) else { throw AppError.invalid(["filingPhase": "评价任务没有数据填报阶段"]) }
        let perDay = input.perDay ?? campaign.perDay
        let calendar = try await CalendarDay.workCalendar(on: caller.db)
        let result = FilingSchedule.generate(
            indicators: codes, start: filing.start, end: filing.end, perDay: perDay, calendar: calendar, fixed: fixed)
        let entries: [FilingSchedule.Entry]
        switch result {
        case .success(let e): entries = e
        case .failure(let p): throw AppError.invalid([p.field: p.message])
        }
        let id = try campaign.requireID()
        let before = try await ScheduleEntry.query(on: caller.db).filter(\.$campaign.$id == id).count()
        campaign.perDay = perDay
        try await caller.db.writeTransaction { db in
            try await campaign.update(on: db)
            try await ScheduleEntry.query(on: db).filter(\.$campaign.$id == id).delete()
            for region in d.regionIDs {
                for e in entries { try await ScheduleEntry(campaignID: id, regionID: region, entry: e).create(on: db) }
            }
            struct Summary: Encodable { let entries: Int; let perDay: Int; let fixed: [String: String]; let first: String?; let last: String? }
            try await AuditLog.record(
                on: db, by: caller, action: "generate", entityType: "schedule",
                entityID: campaign.id, before: ["entries": before],
                after: Summary(
                    entries: entries.count * d.regionIDs.count, perDay: perDay,
                    fixed: fixed.mapValues(\.description), first: entries.first?.day.description,
                    last: entries.last?.day.description))
        }
        return entries
    }

    static func entries(_ campaign: Campaign, regionID: UUID, on db: any Database) async throws -> [ScheduleEntryDTO] {
        let id = try campaign.requireID()
        let names = Dictionary(
            uniqueKeysWithValues: try await CampaignIndicator.query(on: db).filter(\.$campaign.$id == id).all()
                .map { ($0.code, ($0.name, $0.position)) })
        return try await ScheduleEntry.query(on: db).filter(\.$campaign.$id == id).filter(\.$region.$id == regionID).all()
            .sorted { ($0.day, names[$0.indicatorCode]?.1 ?? 0) < ($1.day, names[$1.indicatorCode]?.1 ?? 0) }
            .map {
                ScheduleEntryDTO(
                    indicatorCode: $0.indicatorCode, indicatorName: names[$0.indicatorCode]?.0 ?? $0.indicatorCode,
                    day: $0.day, weekday: Day($0.day)?.chineseWeekday ?? "", fixed: $0.fixed)
            }
    }

    /// Creates one filing task per scheduled indicator for its lead unit, due on its day; existing ones are kept.
    static func createFilingTasks(_ campaign: Campaign, by caller: Caller) async throws -> Int {
        let id = try campaign.requireID()
        let d = try await CampaignService.details(campaign, on: caller.db)
        let names = Dictionary(uniqueKeysWithValues: d.indicators.map { ($0.code, $0.name) })
        let schedule = try await ScheduleEntry.query(on: caller.db).filter(\.$campaign.$id == id).all()
        guard !schedule.isEmpty else { throw AppError.conflict("请先生成填报日程") }
        let assignments = try await Assignment.query(on: caller.db).filter(\.$campaign.$id == id).all()
        let leads = Dictionary(
            uniqueKeysWithValues: assignments.map { ("\($0.$region.id)|\($0.indicatorCode)", $0.$leadUnit.id) })
        let existing = Set(
            try await CampaignTask.query(on: caller.db).filter(\.$campaign.$id == id)
                .filter(\.$phase == PhaseKind.filing.rawValue).all()
                .map { "\($0.$region.id?.uuidString ?? "")|\($0.indicatorCode ?? "")" })
        var missingLead: [String] = []
        var toCreate: [CampaignTask] = []
        for e in schedule where !existing.contains("\(e.$region.id.uuidString)|\(e.indicatorCode)") {
            guard let lead = leads["\(e.$region.id)|\(e.indicatorCode)"] ?? nil, let day = Day(e.day) else {
                missingLead.append(names[e.indicatorCode] ?? e.indicatorCode)
                continue
            }
            toCreate.append(CampaignTask(
                campaignID: id, phase: .filing, regionID: e.$region.id, indicatorCode: e.indicatorCode,
                title: "填报：\(names[e.indicatorCode] ?? e.indicatorCode)", unitID: lead, deadline: day))
        }
        if !missingLead.isEmpty {
            throw AppError.invalid(["leadUnit": "以下指标尚未指定牵头单位：" + missingLead.sorted().joined(separator: "、")])
        }
        let tasks = toCreate
        try await caller.db.writeTransaction { db in
            for t in tasks { try await t.create(on: db) }
            try await AuditLog.record(
                on: db, by: caller, action: "create", entityType: "task",
                entityID: campaign.id, before: noSnapshot, after: ["filingTasks": tasks.count])
        }
        return tasks.count
    }
}
