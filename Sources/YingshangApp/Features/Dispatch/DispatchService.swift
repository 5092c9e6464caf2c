import Fluent
import SQLKit
import Vapor
import YingshangCore

struct DispatchDTO: Content {
    struct Line: Content {
        let indicatorCode: String
        let indicatorName: String
        let leadUnit: String?
        let status: String
        let statusName: String
        let due: String?
        let workdaysOverdue: Int
        let openQuestions: Int
    }

    struct UnitLine: Content {
        let unit: String
        let total: Int
        let handedIn: Int
        let overdue: Int
    }

    let campaignID: UUID
    let campaignName: String
    let regionID: UUID
    let regionName: String
    let date: String
    let total: Int
    let handedIn: Int
    let counts: [String: Int]
    let lines: [Line]
    let overdue: [Line]
    let dueToday: [Line]
    let byUnit: [UnitLine]
}

/// 每日调度: the state of every indicator of a campaign region, from its filing tasks until filings exist.
/// Status sources plug in here: `statusByIndicator` is the only place that reads work status.
enum DispatchService {
    /// Status per indicator: the filing's when one exists, otherwise the least advanced of its filing-phase tasks;
    /// and the earliest task deadline.
    /// Aggregated in SQL: a campaign has thousands of tasks but at most indicators × statuses groups.
    static func statusByIndicator(campaignID: UUID, regionID: UUID, on db: any Database) async throws
        -> [String: (WorkStatus, Day?)]
    {
        guard let sql = db as? any SQLDatabase else { return [:] }
        // The least advanced status per indicator, ranked by WorkStatus.byProgress (the rank WorkStatus.combined uses).
        let cases = WorkStatus.byProgress.enumerated().map { "WHEN '\($0.element.rawValue)' THEN \($0.offset)" }.joined(separator: " ")
        let rank = SQLRaw("MIN(CASE status \(cases) ELSE \(WorkStatus.byProgress.count - 1) END)")
        let rows = try await sql.select()
            .column("indicator_code")
            .column(rank, as: "status_rank")
            .column(SQLFunction("MIN", args: SQLColumn("deadline")), as: "due")
            .from(CampaignTask.schema)
            .where("campaign_id", .equal, SQLBind(campaignID))
            .where("phase", .equal, SQLBind(PhaseKind.filing.rawValue))
            .where("indicator_code", .isNot, SQLLiteral.null)
            .where { $0.where("region_id", .equal, SQLBind(regionID)).orWhere("region_id", .is, SQLLiteral.null) }
            .groupBy("indicator_code")
            .all()
        var result: [String: (WorkStatus, Day?)] = [:]
        for row in rows {
            let code = try row.decode(column: "indicator_code", as: String.self)
            let rank = try row.decode(column: "status_rank", as: Int.self)
            let due = try row.decode(column: "due", as: String?.self).flatMap(Day.init)
            result[code] = (WorkStatus.byProgress[min(max(rank, 0), WorkStatus.byProgress.count - 1)], due)
        }
        // A filing, once opened, is the authority on its indicator's status.
        for f in try await Filing.query(on: db).filter(\.$campaign.$id == campaignID).filter(\.$region.$id == regionID).all() {
            result[f.indicatorCode] = (f.workStatus, result[f.indicatorCode]?.1)
        }
        return result
    }

    static func build(_ campaign: Campaign, region: Region, today: Day, user: User, role: Role, on db: any Database)
        async throws -> DispatchDTO
    {
        let campaignID = try campaign.requireID()
        let regionID = try region.requireID()
        let indicators = try await CampaignIndicator.query(on: db).filter(\.$campaign.$id == campaignID).sort(\.$position).all()
        let assignments = try await Assignment.query(on: db).filter(\.$campaign.$id == campaignID)
            .filter(\.$region.$id == regionID).with(\.$cooperators).all()
        let byCode = Dictionary(uniqueKeysWithValues: assignments.map { ($0.indicatorCode, $0) })
        let leadIDs = Set(assignments.compactMap { $0.$leadUnit.id })
        let unitNames = Dictionary(
            uniqueKeysWithValues: try await Unit.query(on: db).filter(\.$id ~~ leadIDs).all().compactMap { u in u.id.map { ($0, u.name) } })
        let schedule = Dictionary(
            uniqueKeysWithValues: try await ScheduleEntry.query(on: db).filter(\.$campaign.$id == campaignID)
                .filter(\.$region.$id == regionID).all().map { ($0.indicatorCode, Day($0.day)) })
        let status = try await statusByIndicator(campaignID: campaignID, regionID: regionID, on: db)
        let calendar = try await CalendarDay.workCalendar(on: db)
        let openQuestions = try await QuestionService.openCounts(campaignID: campaignID, regionID: regionID, on: db)

        var inputs: [DispatchInput] = []
        for ind in indicators {
            let a = byCode[ind.code]
            // A unit head sees the indicators their unit leads or cooperates on.
            if role.isUnitScoped {
                let mine = a.map { Responsibility.concerns(unit: user.$unit.id, lead: $0.$leadUnit.id, cooperating: $0.cooperators.map(\.$unit.id)) }
                if mine != true { continue }
            }
            let s = status[ind.code]
            inputs.append(DispatchInput(
                indicatorCode: ind.code, indicatorName: ind.name, leadUnit: a?.$leadUnit.id.flatMap { unitNames[$0] },
                status: s?.0 ?? .notStarted, due: (schedule[ind.code] ?? nil) ?? s?.1,
                openQuestions: openQuestions[ind.code] ?? 0))
        }
        let report = try Dispatch.build(inputs, today: today, calendar: calendar)
        func line(_ l: DispatchLine) -> DispatchDTO.Line {
            .init(
                indicatorCode: l.indicatorCode, indicatorName: l.indicatorName, leadUnit: l.leadUnit, status: l.status.rawValue,
                statusName: l.status.chineseName, due: l.due?.description, workdaysOverdue: l.workdaysOverdue,
                openQuestions: l.openQuestions)
        }
        return DispatchDTO(
            campaignID: campaignID, campaignName: campaign.name, regionID: regionID, regionName: region.name,
            date: today.description, total: report.total, handedIn: report.handedIn,
            counts: Dictionary(uniqueKeysWithValues: report.counts.map { ($0.key.rawValue, $0.value) }),
            lines: report.lines.map(line), overdue: report.overdue.map(line), dueToday: report.dueToday.map(line),
            byUnit: report.byUnit.map { .init(unit: $0.unit, total: $0.total, handedIn: $0.handedIn, overdue: $0.overdue) })
    }

    static let statusColors: [WorkStatus: String] = [
        .notStarted: "#90a4ae", .drafting: "#1e88e5", .submitted: "#f9a825", .returned: "#e53935", .accepted: "#43a047",
    ]

    static func statusChart(_ d: DispatchDTO) -> String {
        SVGChart.stackedBar(
            WorkStatus.allCases.map {
                SVGChart.Segment(label: $0.chineseName, value: d.counts[$0.rawValue] ?? 0, color: statusColors[$0] ?? "#999")
            }, title: "指标填报状态")
    }

    static func unitChart(_ d: DispatchDTO) -> String {
        SVGChart.progressBars(
            d.byUnit.map { SVGChart.Bar(label: $0.unit, done: $0.handedIn, total: $0.total, late: $0.overdue) },
            title: "各牵头单位报送进度")
    }
}
