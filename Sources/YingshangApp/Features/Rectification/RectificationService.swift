import Fluent
import Vapor
import YingshangCore

struct RectificationInput: Content {
    var campaignID: String?
    var regionID: String?
    var indicatorCode: String?
    var problem: String?
    var cause: String?
    var gap: String?
    var measures: String?
    var unitID: String?
    var leader: String?
    var deadline: String?
}

struct RectificationDTO: Content {
    let id: UUID
    let campaignID: UUID
    let regionID: UUID
    let indicatorCode: String
    let indicatorName: String
    let problem: String
    let cause: String
    let gap: String
    let measures: String
    let unitID: UUID
    let unitName: String
    let leader: String
    let deadline: String
    let status: String
    let statusName: String
    let overdue: Bool
    let latestProgress: String
}

/// 整改台账: items per indicator with 查问题、摆原因、找差距、定措施; units fill their own, the coordinator verifies.
enum RectificationService {
    static func requireAccess(_ r: Rectification, by caller: Caller) throws {
        guard caller.scope.covers(r.$region.id.uuidString) else { throw AppError.notFound("整改事项") }
        let user = caller.user
        guard UnitScope.canAccess(role: caller.role, userUnitID: user.$unit.id.uuidString, recordUnitID: r.$unit.id.uuidString)
        else { throw AppError.forbidden("只能查看和填写本单位负责的整改事项") }
    }


    private static func text(_ v: String?, _ field: String, _ label: String, required: Bool, max: Int, into errors: inout [String: String]) -> String {
        let t = v.trimmed
        if required && t.isEmpty { errors[field] = "请填写\(label)" } else if t.count > max { errors[field] = "\(label)不超过 \(max) 字" }
        return t
    }

    /// Validates and applies `input` to `r` (new or existing). Units may only name themselves as responsible.
    static func apply(_ input: RectificationInput, to r: Rectification, isNew: Bool, by caller: Caller) async throws {
        var errors: [String: String] = [:]
        let role = caller.role
        let user = caller.user
        if isNew {
            guard let cid = input.campaignID?.nonBlank.flatMap(UUID.init(uuidString:)), let c = try await Campaign.find(cid, on: caller.db) else {
                throw AppError.invalid(["campaignID": "请选择评价任务"])
            }
            let regions = try await CampaignRegion.query(on: caller.db).filter(\.$campaign.$id == cid).all().map { $0.$region.id }
            var region = regions.count == 1 ? regions.first : nil
            if let raw = input.regionID?.nonBlank { region = UUID(uuidString: raw).flatMap { regions.contains($0) ? $0 : nil } }
            if region == nil { errors["regionID"] = "请选择被评价地区" }
            let codes = try await CampaignIndicator.query(on: caller.db).filter(\.$campaign.$id == cid).all().map(\.code)
            let code = input.indicatorCode.trimmed
            if !codes.contains(code) { errors["indicatorCode"] = "请选择本次评价中的指标" }
            r.$campaign.id = try c.requireID()
            if let region { r.$region.id = region }
            r.indicatorCode = code
            r.status = RectificationStatus.planned.rawValue
            r.createdBy = user.username
        }
        r.problem = text(input.problem, "problem", "问题（查问题）", required: true, max: 2000, into: &errors)
        r.cause = text(input.cause, "cause", "原因（摆原因）", required: false, max: 2000, into: &errors)
        r.gap = text(input.gap, "gap", "差距（找差距）", required: false, max: 2000, into: &errors)
        r.measures = text(input.measures, "measures", "整改措施（定措施）", required: true, max: 2000, into: &errors)
        r.leader = text(input.leader, "leader", "责任领导", required: true, max: 50, into: &errors)
        if let unit = input.unitID?.nonBlank.flatMap(UUID.init(uuidString:)), try await Unit.find(unit, on: caller.db) != nil {
            if role.isUnitScoped && unit != user.$unit.id { errors["unitID"] = "只能填写本单位负责的整改事项" }
            r.$unit.id = unit
        } else {
            errors["unitID"] = "请选择责任单位"
        }
        if let d = Day(input.deadline.trimmed) {
            let canApprove = Permissions.allows(role, .verifyRectifications)
            switch RectificationRules.deadlineChange(
                current: isNew ? nil : Day(r.deadline), proposed: d, today: caller.clock.today, canApprove: canApprove || isNew && !role.isUnitScoped)
            {
            case .unchanged: break
            case .apply(let day):
                r.deadline = day.description
                r.requestedDeadline = nil
                r.requestedBy = nil
            case .request(let day):
                if isNew {
                    r.deadline = day.description
                } else {
                    // Kept as a request; the deadline in force stays until the coordinator approves.
                    r.requestedDeadline = day.description
                    r.requestedBy = user.username
                }
            case .refused(let message): errors["deadline"] = message
            }
        } else {
            errors["deadline"] = "完成时限格式应为 YYYY-MM-DD"
        }
        if !errors.isEmpty { throw AppError.invalid(errors) }
    }

    static func create(_ input: RectificationInput, by caller: Caller) async throws -> Rectification {
        let r = Rectification()
        try await apply(input, to: r, isNew: true, by: caller)
        try await caller.db.writeTransaction { db in
            try await r.create(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "create", entityType: "rectification", entityID: r.id,
                before: noSnapshot, after: snapshot(r))
        }
        return r
    }

    static func update(_ r: Rectification, _ input: RectificationInput, by caller: Caller) async throws {
        let canVerify = Permissions.allows(caller.role, .verifyRectifications)
        if r.rectificationStatus == .verified && !canVerify {
            throw AppError(status: .conflict, code: "verified", message: "该整改事项已核验销号，不能再修改")
        }
        let before = snapshot(r)
        try await apply(input, to: r, isNew: false, by: caller)
        try await caller.db.writeTransaction { db in
            try await r.update(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: "update", entityType: "rectification", entityID: r.id,
                before: before, after: snapshot(r))
        }
    }

    /// The coordinator approves or rejects a unit's requested deadline; both are audited.
    static func decideDeadline(_ r: Rectification, approve: Bool, by caller: Caller) async throws {
        guard let requested = r.requestedDeadline, let day = Day(requested) else {
            throw AppError.conflict("该整改事项没有待审批的时限调整")
        }
        if approve, day < caller.clock.today {
            throw AppError.invalid(["deadline": "申请的时限 \(requested) 已过，请退回后由责任单位重新申请"])
        }
        let before = snapshot(r)
        if approve { r.deadline = requested }
        let by = r.requestedBy ?? ""
        r.requestedDeadline = nil
        r.requestedBy = nil
        try await caller.db.writeTransaction { db in
            try await r.update(on: db)
            try await AuditLog.record(
                on: db, by: caller, action: approve ? "approve_deadline" : "reject_deadline",
                entityType: "rectification", entityID: r.id, before: before, after: ["deadline": r.deadline, "requested": requested, "requestedBy": by])
        }
    }

    /// A progress report, optionally moving the status; only the moves `RectificationRules` allows.
    static func report(_ r: Rectification, note: String, status raw: String?, by caller: Caller) async throws -> RectificationUpdate {
        let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
        var errors: [String: String] = [:]
        if note.isEmpty || note.count > 2000 { errors["note"] = "请填写进展情况（不超过 2000 字）" }
        let current = r.rectificationStatus
        var target = current
        if let raw = raw?.nonBlank, raw != current.rawValue {
            let canVerify = Permissions.allows(caller.role, .verifyRectifications)
            guard let t = RectificationStatus(rawValue: raw), RectificationRules.allowedTargets(from: current, canVerify: canVerify).contains(t) else {
                if let t = RectificationStatus(rawValue: raw), t == .verified || current == .done || current == .verified {
                    throw AppError.forbidden("只有审批局可以核验销号或退回已完成的整改事项")
                }
                throw AppError.invalid(["status": "不能从“\(current.chineseName)”改为该状态"])
            }
            target = t
        }
        if let problem = RectificationRules.statusChangeProblem(from: current, to: target, measures: r.measures) {
            errors["status"] = problem
        }
        if !errors.isEmpty { throw AppError.invalid(errors) }
        let user = caller.user
        let newStatus = target
        let u = RectificationUpdate()
        u.$rectification.id = try r.requireID()
        u.note = note
        u.status = target.rawValue
        u.by = user.username
        let from = current.rawValue
        try await caller.db.writeTransaction { db in
            try await u.create(on: db)
            if newStatus != current {
                r.status = newStatus.rawValue
                if newStatus == .verified { r.verifiedBy = user.username }
                try await r.update(on: db)
            }
            try await AuditLog.record(
                on: db, by: caller, action: newStatus == current ? "progress" : "status", entityType: "rectification", entityID: r.id,
                before: ["status": from], after: ["status": newStatus.rawValue, "note": note])
        }
        return u
    }

    /// Opens items for the `count` weakest indicators of a region from the latest scoring run, prefilled with the gap;
    /// indicators that already have an open item are skipped.
    static func openFromScores(_ campaign: Campaign, regionID: String?, count: Int, by caller: Caller) async throws -> Int {
        guard (1...10).contains(count) else { throw AppError.invalid(["count": "一次生成 1 到 10 项"]) }
        let run = try await ScoringService.requireLatest(campaign, on: caller.db)
        let result = try run.result()
        guard let region = ReportBuilder.region(result, regionID), let rid = UUID(uuidString: region.id) else { throw AppError.notFound("被评价地区") }
        let cid = try campaign.requireID()
        let cmp = ReportBuilder.comparison(result, regionID: region.id)
        let existing = Set(try await Rectification.query(on: caller.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid).all()
            .filter { !$0.rectificationStatus.isClosed }.map(\.indicatorCode))
        let assignments = try await Assignment.query(on: caller.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == rid).all()
        let fallbackUnit = caller.user.$unit.id
        var leaders: [UUID: String] = [:]
        for u in try await User.query(on: caller.db).filter(\.$id ~~ assignments.compactMap { $0.$leader.id }).all() {
            if let id = u.id { leaders[id] = u.displayName }
        }
        let deadline = caller.clock.today.adding(days: 90)
        let user = caller.user
        let picks = RectificationRules.weakest(region, count: count + existing.count).filter { !existing.contains($0.code) }.prefix(count)
        let items = picks.map { ind -> Rectification in
            let a = assignments.first { $0.indicatorCode == ind.code }
            let r = Rectification()
            r.$campaign.id = cid
            r.$region.id = rid
            r.indicatorCode = ind.code
            r.problem = "「\(ind.nameZh)」得分 \(ind.score.map(Scoring.fmt2) ?? "—")，为本地区得分较低的指标之一。"
            r.cause = ""
            r.gap = RectificationRules.gapText(ind, benchmark: (cmp.name, cmp.score(ind.code)))
            r.measures = RectificationRules.measuresPlaceholder
            r.$unit.id = a?.$leadUnit.id ?? fallbackUnit
            r.leader = a?.$leader.id.flatMap { leaders[$0] } ?? ""
            r.deadline = deadline.description
            r.status = RectificationStatus.planned.rawValue
            r.createdBy = user.username
            return r
        }
        try await caller.db.writeTransaction { db in
            for r in items {
                try await r.create(on: db)
                try await AuditLog.record(
                    on: db, by: caller, action: "create", entityType: "rectification", entityID: r.id, before: noSnapshot,
                    after: snapshot(r))
            }
        }
        return items.count
    }

    static func snapshot(_ r: Rectification) -> [String: String] {
        [
            "indicator": r.indicatorCode, "problem": r.problem, "cause": r.cause, "gap": r.gap, "measures": r.measures,
            "unit": r.$unit.id.uuidString, "leader": r.leader, "deadline": r.deadline, "status": r.status,
            "requestedDeadline": r.requestedDeadline ?? "",
        ]
    }
}
