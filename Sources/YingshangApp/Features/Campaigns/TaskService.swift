import Fluent
import Vapor
import YingshangCore

struct TaskInput: Content {
    var phase: String?
    var title: String?
    var unitID: String?
    var deadline: String?
    var indicatorCode: String?
    var regionID: String?
    var note: String?
}

struct TaskStatusInput: Content {
    var status: String?
    var note: String?
}

struct TaskDTO: Content {
    let id: UUID
    let phase: String
    let phaseName: String
    let title: String
    let unitID: UUID
    let unitName: String
    let indicatorCode: String?
    let regionID: UUID?
    let deadline: String
    let status: String
    let statusName: String
    let note: String
    let workdaysOverdue: Int
}

/// Phase tasks: who does what by when; units update the status of their own tasks.
enum TaskService {
    static func create(_ campaign: Campaign, _ input: TaskInput, by caller: Caller) async throws -> CampaignTask {
        var fields: [String: String] = [:]
        let phase = PhaseKind(rawValue: input.phase.trimmed)
        if phase == nil { fields["phase"] = "请选择所属阶段" }
        let title = input.title.trimmed
        if title.isEmpty || title.count > 200 { fields["title"] = "任务名称必填，不超过 200 个字符" }
        var unitID: UUID? = nil
        if let id = input.unitID?.nonBlank.flatMap(UUID.init(uuidString:)), try await Unit.find(id, on: caller.db) != nil {
            unitID = id
        } else {
            fields["unitID"] = "请选择责任单位"
        }
        let deadline = Day(input.deadline.trimmed)
        if let deadline {
            if let p = PhasePlan.validateDeadline(deadline, campaignStart: campaign.start, campaignEnd: campaign.end) {
                fields[p.field] = p.message
            }
        } else {
            fields["deadline"] = "截止日期格式应为 YYYY-MM-DD"
        }
        let d = try await CampaignService.details(campaign, on: caller.db)
        let indicator = input.indicatorCode?.nonBlank
        if let indicator, !d.indicators.contains(where: { $0.code == indicator }) {
            fields["indicatorCode"] = "指标 \(indicator) 不在本次评价中"
        }
        var regionID: UUID? = d.regionIDs.count == 1 ? d.regionIDs.first : nil
        if let raw = input.regionID?.nonBlank {
            if let id = UUID(uuidString: raw), d.regionIDs.contains(id) { regionID = id } else {
                fields["regionID"] = "被评价地区不在本次评价中"
            }
        }
        guard fields.isEmpty, let phase, let unitID, let deadline else { throw AppError.invalid(fields) }
        let task = CampaignTask(
            campaignID: try campaign.requireID(), phase: phase, regionID: regionID, indicatorCode: indicator, title: title,
            unitID: unitID, deadline: deadline, note: input.note.trimmed)
        try await caller.db.writeTransaction { db in
            try await task.create(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "create", entityType: "task", entityID: task.id,
                before: noSnapshot, after: try dto(task, unitName: "", calendar: WorkCalendar(), today: campaign.start))
        }
        return task
    }



    /// Unit users may only move their own unit's tasks (`task` comes from `findOwned`).
    static func updateStatus(_ task: CampaignTask, _ input: TaskStatusInput, by caller: Caller) async throws {
        guard let status = WorkStatus(rawValue: input.status.trimmed) else {
            throw AppError.invalid(["status": "状态应为 " + WorkStatus.allCases.map(\.rawValue).joined(separator: "、")])
        }
        let before = ["status": task.status, "note": task.note]
        task.status = status.rawValue
        if let note = input.note?.nonBlank { task.note = String(note.prefix(500)) }
        try await caller.db.writeTransaction { db in
            try await task.update(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "update_status", entityType: "task", entityID: task.id,
                before: before, after: ["status": task.status, "note": task.note])
        }
    }

    static func delete(_ task: CampaignTask, by caller: Caller) async throws {
        let before = ["title": task.title, "status": task.status, "deadline": task.deadline]
        try await caller.db.writeTransaction { db in
            try await task.delete(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "delete", entityType: "task", entityID: task.id,
                before: before, after: noSnapshot)
        }
    }

    static func dto(_ t: CampaignTask, unitName: String, calendar: WorkCalendar, today: Day) throws -> TaskDTO {
        let phase = PhaseKind(rawValue: t.phase) ?? .filing
        let late = t.workStatus.isHandedIn ? 0 : try Day(t.deadline).map { try calendar.workdaysLate(due: $0, today: today) } ?? 0
        return TaskDTO(
            id: try t.requireID(), phase: t.phase, phaseName: phase.chineseName, title: t.title, unitID: t.$unit.id,
            unitName: unitName, indicatorCode: t.indicatorCode, regionID: t.$region.id, deadline: t.deadline,
            status: t.status, statusName: t.workStatus.chineseName, note: t.note, workdaysOverdue: late)
    }

    struct Filter {
        var phase: String
        var status: String
        var unitID: UUID?
        var q: String
    }

    /// Tasks of a campaign, filtered; unit-scoped users see only their own unit's.
    static func search(_ campaign: Campaign, filter: Filter, lq: ListQuery, by caller: Caller) async throws -> Fluent.Page<CampaignTask> {
        var query = CampaignTask.query(on: caller.db).filter(\.$campaign.$id == (try campaign.requireID()))
        let user = caller.user
        if caller.role.isUnitScoped {
            query = query.filter(\.$unit.$id == user.$unit.id)
        } else if let unit = filter.unitID {
            query = query.filter(\.$unit.$id == unit)
        }
        if !filter.phase.isEmpty { query = query.filter(\.$phase == filter.phase) }
        if !filter.status.isEmpty { query = query.filter(\.$status == filter.status) }
        if !filter.q.isEmpty { query = query.filter(\.$title ~~ filter.q) }
        return try await query.sort(\.$deadline).sort(\.$title).paginate(lq.pageRequest)
    }

    /// A task of `campaign` the caller may work on: unit users reach only their own unit's tasks, so no handler has
    /// to remember the check.
    static func findOwned(_ id: UUID, of campaign: Campaign, by caller: Caller) async throws -> CampaignTask {
        guard let t = try await CampaignTask.find(id, on: caller.db), t.$campaign.id == campaign.id else { throw AppError.notFound("任务") }
        guard UnitScope.canAccess(role: caller.role, userUnitID: caller.user.$unit.id.uuidString, recordUnitID: t.$unit.id.uuidString)
        else { throw AppError.forbidden("只能查看和办理本单位的任务及其附件") }
        return t
    }
}
