import Fluent
import SQLKit
import Vapor
import YingshangCore

struct FilingDTO: Content {
    struct Attachment: Content {
        let id: UUID
        let itemCode: String?
        let name: String
        let size: Int
        let sha256: String
        let uploadedBy: String
        let uploadedAt: Date?
    }

    struct Event: Content {
        let action: String
        let actionName: String
        let fromState: String
        let toState: String
        let reason: String?
        let actor: String
        let at: Date
    }

    let id: UUID
    let campaignID: UUID
    let regionID: UUID
    let indicatorCode: String
    let leadUnitID: UUID
    let state: String
    let stateName: String
    let status: String
    let version: Int
    let answers: [String: String]
    let lastReason: String?
    let attachments: [Attachment]
    let events: [Event]
}

struct FilingSaveInput: Content {
    var answers: [String: String]?
    var version: Int?
}

struct FilingTransitionInput: Content {
    var action: String?
    var reason: String?
}

/// Filing rules in the app: who may see, edit and move a filing; saving with optimistic locking; transitions.
enum FilingService {

    /// The filing of an indicator in a campaign region, created on first use for its lead unit.
    static func open(campaign: Campaign, regionID: UUID, indicatorCode: String, by caller: Caller) async throws -> Filing {
        let cid = try campaign.requireID()
        if let f = try await Filing.query(on: caller.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == regionID)
            .filter(\.$indicatorCode == indicatorCode).first()
        {
            try await requireView(f, by: caller)
            return f
        }
        guard let a = try await Assignment.query(on: caller.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == regionID)
            .filter(\.$indicatorCode == indicatorCode).first()
        else { throw AppError.notFound("指标") }
        guard let lead = a.$leadUnit.id else { throw AppError.conflict("该指标尚未指定牵头单位，无法填报") }
        let f = Filing(campaignID: cid, regionID: regionID, indicatorCode: indicatorCode, leadUnitID: lead, by: caller.user.username)
        try await requireView(f, by: caller)
        // Only those who may fill it in start a filing: opening one is a write, and a leader or the assessor
        // looking at an indicator must not create records in the lead unit's name.
        let role = caller.role
        guard Permissions.allows(role, .editFilings), role.isUnitScoped, caller.user.$unit.id == lead else {
            throw AppError(status: .conflict, code: "not_started", message: "牵头单位尚未开始填报该指标")
        }
        do {
            try await f.create(on: caller.db)
        } catch {
            // Another request created it first.
            if let existing = try await Filing.query(on: caller.db).filter(\.$campaign.$id == cid).filter(\.$region.$id == regionID)
                .filter(\.$indicatorCode == indicatorCode).first()
            {
                return existing
            }
            throw error
        }
        return f
    }

    /// Bureau, leaders and the assessor see every filing; unit users only their lead or cooperating filings.
    /// A filing of a region outside the account's region scope does not exist for it (404).
    static func requireView(_ f: Filing, by caller: Caller) async throws {
        guard caller.scope.covers(f.$region.id.uuidString) else { throw AppError.notFound("填报") }
        let user = caller.user
        guard caller.role.isUnitScoped else { return }
        if f.$leadUnit.id == user.$unit.id { return }
        let a = try await Assignment.query(on: caller.db).filter(\.$campaign.$id == f.$campaign.id)
            .filter(\.$region.$id == f.$region.id).filter(\.$indicatorCode == f.indicatorCode).with(\.$cooperators).first()
        if a?.cooperators.contains(where: { $0.$unit.id == user.$unit.id }) == true { return }
        throw AppError.forbidden("只能查看本单位牵头或配合的填报")
    }

    /// Only the lead unit's filers and head edit, and only a draft.
    static func requireEdit(_ f: Filing, by caller: Caller) throws {
        let user = caller.user
        let role = caller.role
        guard (role == .filer || role == .unitHead), f.$leadUnit.id == user.$unit.id else {
            throw AppError.forbidden("只有牵头单位的填报人员可以修改本填报")
        }
        guard f.filingState.isEditable else {
            throw AppError(
                status: .conflict, code: "locked",
                message: "填报当前为“\(f.filingState.chineseName)”，不能修改" + (f.filingState == .accepted ? "（如需修改请联系审批局重新打开）" : ""))
        }
    }

    static func indicator(_ f: Filing, on db: any Database) async throws -> IndicatorSpec {
        let campaign = try await f.$campaign.get(on: db)
        let catalog = try await campaign.catalog(on: db)
        guard let ind = catalog.indicator(f.indicatorCode) else { throw AppError.notFound("指标 \(f.indicatorCode) ") }
        return ind
    }

    static func attachments(_ f: Filing, on db: any Database) async throws -> [FilingAttachment] {
        try await FilingAttachment.query(on: db).filter(\.$filing.$id == (try f.requireID())).sort(\.$createdAt).all()
    }

    /// Replaces the answers when `expectedVersion` is still current (409 otherwise, nothing lost: the caller keeps
    /// its input). Validates types and ranges; every save becomes a version.
    static func save(_ f: Filing, answers raw: [String: String], expectedVersion: Int?, by caller: Caller) async throws {
        try requireEdit(f, by: caller)
        guard let expected = expectedVersion else { throw AppError.invalid(["version": "缺少版本号"]) }
        let ind = try await indicator(f, on: caller.db)
        let answers = raw.filter { !$0.value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
            .mapValues { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let problems = AnswerValidation.draftProblems(answers, indicator: ind)
        if !problems.isEmpty { throw AppError.invalid(problems) }
        let id = try f.requireID()
        try await caller.db.writeTransaction { db in
            try await writeAnswers(
                id: id, expectedVersion: expected, answers: answers, previousCount: f.answers.count, action: "update",
                by: caller.on(db))
        }
        if let fresh = try await Filing.find(id, on: caller.db) {
            f.version = fresh.version
            f.answersJSON = fresh.answersJSON
        }
    }

    /// The one write of a filing's answers, inside the caller's transaction: the conditional update (409 when another
    /// save won), the new version with its evidence list (in upload order), and the audit entry. The form, the API
    /// and the workbook import all save through it.
    static func writeAnswers(
        id: UUID, expectedVersion: Int, answers: [String: String], previousCount: Int, action: String, by caller: Caller
    ) async throws {
        let db = caller.db
        let user = caller.user
        try await conditionalUpdate(
            id: id, expectedVersion: expectedVersion,
            set: ["answers": SQLBind(Filing.encodeAnswers(answers)), "updated_by": SQLBind(user.username)], now: caller.clock.now(), on: db)
        guard let fresh = try await Filing.find(id, on: db) else { throw AppError.notFound("填报") }
        let evidence = try await attachments(fresh, on: db).map { "\($0.itemCode ?? "*"):\($0.sha256)" }
        try await FilingVersion(filing: fresh, attachments: evidence, by: user.username, at: caller.clock.now()).create(on: db)
        try await AuditLog.record(
            on: db, by: caller, action: action, entityType: "filing", entityID: id,
            before: ["version": expectedVersion, "answers": previousCount] as [String: Int],
            after: ["version": fresh.version, "answers": answers.count] as [String: Int])
    }

    /// `UPDATE filings SET …, version = version + 1 WHERE id = ? AND version = ?` — 409 when another save won.
    static func conditionalUpdate(id: UUID, expectedVersion: Int, set: [String: any SQLExpression], now: Date, on db: any Database)
        async throws
    {
        guard let sql = db as? any SQLDatabase else { throw AppError.conflict("数据库不支持") }
        var update = sql.update(Filing.schema)
        for (column, value) in set.sorted(by: { $0.key < $1.key }) { update = update.set(SQLIdentifier(column), to: value) }
        let rows = try await update.set(SQLIdentifier("version"), to: SQLRaw("version + 1"))
            .set(SQLIdentifier("updated_at"), to: SQLBind(now))
            .where("id", .equal, SQLBind(id)).where("version", .equal, SQLBind(expectedVersion))
            .returning("id").all()
        if rows.isEmpty {
            throw AppError(
                status: .conflict, code: "version_conflict",
                message: "该填报已被他人修改（您打开的是第 \(expectedVersion) 版）。您填写的内容仍在页面上，请复制保存后刷新页面查看最新版本再修改。")
        }
    }

    static func transition(_ f: Filing, _ input: FilingTransitionInput, by caller: Caller) async throws {
        let user = caller.user
        let role = caller.role
        guard let action = FilingAction(rawValue: input.action.trimmed) else {
            throw AppError.invalid(["action": "操作应为 submit、approve、return、accept 或 reopen"])
        }
        let actor = FilingActor(role: role, isLeadUnit: f.$leadUnit.id == user.$unit.id)
        let from = f.filingState
        let reason = input.reason?.nonBlank.map { String($0.prefix(1000)) }
        let to: FilingState
        switch FilingWorkflow.next(from: from, action: action, actor: actor, reason: reason) {
        case .success(let s): to = s
        case .failure(.forbidden(let m)): throw AppError.forbidden(m)
        case .failure(.invalidState(let m)): throw AppError(status: .conflict, code: "invalid_state", message: m)
        case .failure(.reasonRequired): throw AppError.invalid(["reason": FilingWorkflow.Problem.reasonRequired.message])
        }
        if action == .submit {
            let ind = try await indicator(f, on: caller.db)
            let atts = try await attachments(f, on: caller.db)
            var perItem: [String: Int] = [:]
            for a in atts { if let code = a.itemCode { perItem[code, default: 0] += 1 } }
            let problems = AnswerValidation.submitProblems(
                f.answers, indicator: ind, evidenceCount: perItem, wholeFilingEvidence: atts.filter { $0.itemCode == nil }.count)
            if !problems.isEmpty { throw AppError.invalid(problems).with(message: "还有 \(problems.count) 处未完成，不能提交") }
        }
        let id = try f.requireID()
        let version = f.version
        let leadUnitID = f.$leadUnit.id
        let indicatorName = (try? await indicator(f, on: caller.db).nameZh) ?? f.indicatorCode
        try await caller.db.writeTransaction { db in
            try await conditionalUpdate(
                id: id, expectedVersion: version,
                set: [
                    "state": SQLBind(to.rawValue), "last_action": SQLBind(action.rawValue),
                    "last_reason": reason.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null,
                    "updated_by": SQLBind(user.username),
                ], now: caller.clock.now(), on: db)
            try await FilingEvent(
                filingID: id, action: action.rawValue, from: from.rawValue, to: to.rawValue, reason: reason,
                actor: user.username, at: caller.clock.now()
            ).create(on: db)
            try await notify(
                action: action, filingID: id, regionID: f.$region.id, leadUnitID: leadUnitID, indicatorName: indicatorName, reason: reason,
                at: caller.clock.now(), on: db)
            try await AuditLog.record(
                on: db, by: caller, action: action.rawValue, entityType: "filing", entityID: id,
                before: ["state": from.rawValue], after: ["state": to.rawValue, "reason": reason ?? ""])
        }
        f.state = to.rawValue
        f.lastAction = action.rawValue
        f.lastReason = reason
        f.version = version + 1
    }

    /// Who hears about a transition: the unit head when something waits for approval, the bureau when a unit
    /// approved, the lead unit when the bureau returns, accepts or reopens.
    static func notify(
        action: FilingAction, filingID: UUID, regionID: UUID, leadUnitID: UUID, indicatorName: String, reason: String?,
        at now: Date, on db: any Database
    ) async throws {
        let link = SiteURL.filing(filingID)
        switch action {
        case .submit:
            try await InAppNotification.notifyUnit(
                leadUnitID, roles: [Role.unitHead.rawValue], message: "“\(indicatorName)”已提交，等待您审核", link: link, at: now, on: db)
        case .approve:
            for u in try await RegionScopes.users(.coordinator, reaching: regionID, on: db) {
                try await InAppNotification(userID: try u.requireID(), message: "“\(indicatorName)”单位已审核，等待审批局审核", link: link, at: now)
                    .create(on: db)
            }
        case .return:
            try await InAppNotification.notifyUnit(
                leadUnitID, roles: [Role.filer.rawValue, Role.unitHead.rawValue],
                message: "“\(indicatorName)”被退回：\(reason ?? "")", link: link, at: now, on: db)
        case .accept:
            try await InAppNotification.notifyUnit(leadUnitID, message: "“\(indicatorName)”已通过审批局审核", link: link, at: now, on: db)
        case .reopen:
            try await InAppNotification.notifyUnit(
                leadUnitID, roles: [Role.filer.rawValue, Role.unitHead.rawValue],
                message: "“\(indicatorName)”已重新打开：\(reason ?? "")", link: link, at: now, on: db)
        }
    }

    static func dto(_ f: Filing, on db: any Database) async throws -> FilingDTO {
        let id = try f.requireID()
        let events = try await FilingEvent.query(on: db).filter(\.$filing.$id == id).sort(\.$at).all()
        return FilingDTO(
            id: id, campaignID: f.$campaign.id, regionID: f.$region.id, indicatorCode: f.indicatorCode,
            leadUnitID: f.$leadUnit.id, state: f.state, stateName: f.filingState.chineseName, status: f.workStatus.rawValue,
            version: f.version, answers: f.answers, lastReason: f.lastReason,
            attachments: try await attachments(f, on: db).map {
                .init(id: try $0.requireID(), itemCode: $0.itemCode, name: $0.name, size: $0.size, sha256: $0.sha256,
                      uploadedBy: $0.uploadedBy, uploadedAt: $0.createdAt)
            },
            events: events.map {
                .init(action: $0.action, actionName: FilingAction(rawValue: $0.action)?.chineseName ?? $0.action,
                      fromState: $0.fromState, toState: $0.toState, reason: $0.reason, actor: $0.actor, at: $0.at)
            })
    }
}

extension AppError {
    func with(message: String) -> AppError {
        var copy = self
        copy = AppError(status: status, code: code, message: message, fields: fields)
        return copy
    }
}
