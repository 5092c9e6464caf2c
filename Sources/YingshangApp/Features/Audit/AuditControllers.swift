import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// Filters shared by the audit page and `GET /api/v1/audit`: entity type, action and actor.
struct AuditFilter {
    let entityType: String
    let action: String
    let actor: String

    init(_ req: Request) {
        entityType = (req.query[String.self, at: "entityType"] ?? "").trimmingCharacters(in: .whitespaces)
        action = (req.query[String.self, at: "action"] ?? "").trimmingCharacters(in: .whitespaces)
        actor = (req.query[String.self, at: "actor"] ?? "").trimmingCharacters(in: .whitespaces)
    }

    /// A region-bound audit administrator reads what accounts of units in its regions did (not system jobs, not
    /// other regions' offices).
    func page(_ lq: ListQuery, scope: RegionScope, on db: any Database) async throws -> Fluent.Page<AuditEntry> {
        var query = AuditEntry.query(on: db)
        if let regions = RegionScopes.ids(scope) {
            let units = regions.isEmpty ? [] : try await Unit.query(on: db).filter(\.$region.$id ~~ regions).all().compactMap(\.id)
            let actors = units.isEmpty ? [] : try await User.query(on: db).filter(\.$unit.$id ~~ units).all().compactMap(\.id)
            query = query.filter(\.$actorID ~~ actors)
        }
        if !entityType.isEmpty { query = query.filter(\.$entityType == entityType) }
        if !action.isEmpty { query = query.filter(\.$action == action) }
        if !actor.isEmpty { query = query.filter(\.$actorUsername == actor.lowercased()) }
        // Newest first in the chain's order: the sequence is unique (entries sharing a millisecond, or written by
        // instances whose clocks differ, keep the order they were appended in) and indexed, so a page is read from
        // the index instead of sorting the whole log (52 ms → under 1 ms at 500,000 entries, benchmarks.md).
        return try await query.sort(\.$seq, .descending).paginate(lq.pageRequest)
    }
}

struct AuditAPIController {
    func register(_ g: Guarded) {
        g.get("audit", action: .viewAudit, use: list)
    }

    /// Newest first; `?entityType=&action=&actor=&page=&per=`.
    @Sendable func list(req: Request) async throws -> Listing<AuditEntryDTO> {
        let lq = ListQuery(req, defaultPer: 50)
        let page = try await AuditFilter(req).page(lq, scope: req.resolvedRegionScope, on: req.db)
        return Listing(
            items: try page.items.map(AuditEntryDTO.init), page: lq.page, per: lq.per, total: page.metadata.total)
    }
}

struct AuditWebController {
    struct Row: Encodable {
        let at: String
        let actor: String
        let action: String
        let entityType: String
        let entityID: String
        let before: String
        let after: String
        let ip: String
    }

    struct Body: Encodable {
        let rows: [Row]
        let pager: Pager
        let entityType: String
        let action: String
        let actor: String
        let entityTypes: [SelectOption]
        let actions: [SelectOption]
    }

    static let entityTypeNames = [
        ("user", "用户"), ("unit", "单位"), ("region", "行政区划"), ("catalog", "指标体系"), ("campaign", "评价任务"),
        ("assignment", "责任分工"), ("schedule", "填报日程"), ("task", "工作任务"), ("calendar", "节假日"), ("filing", "填报"),
        ("question", "答疑"), ("register", "企业名单"), ("sample", "抽样"), ("business_records", "业务数据"),
        ("business_record", "办件复核"), ("verification_flag", "核验问题"), ("field_visit", "实地核查"), ("verified_value", "核验值"),
        ("benchmark_values", "对标数据"), ("scoring_run", "评分"), ("score_rules", "加减分规则"), ("score_adjustment", "人工加减分"),
        ("unit_assessment", "单位考核得分"), ("report_finding", "评价发现"), ("rectification", "整改事项"), ("best_practice", "典型经验"),
        ("policy", "政策文件"), ("security_policy", "安全策略"), ("route", "访问地址"), ("audit", "审计日志"),
    ]
    static let actionNames = [
        ("create", "新建"), ("update", "修改"), ("update_password", "重置密码"), ("delete", "删除"),
        ("login_failed", "登录失败"), ("change_password", "修改密码"), ("start", "启动"), ("confirm", "确认"),
        ("generate", "生成"), ("update_status", "更新状态"), ("submit", "提交"), ("approve", "单位审核"), ("return", "退回"),
        ("accept", "审批局通过"), ("reopen", "重新打开"), ("attach", "上传附件"), ("detach", "删除附件"), ("import", "导入"),
        ("assign_items", "分配题目"), ("contribute", "配合单位提交"), ("reply", "回复"), ("draw", "抽样"), ("replace", "替换样本"),
        ("issue_surveys", "发放问卷"), ("score", "评分"), ("apply", "确认考核得分"), ("run_checks", "运行核验"), ("dismiss", "排除问题"),
        ("respond", "单位说明"), ("review", "办件复核"), ("status", "更新整改状态"), ("progress", "整改进展"), ("curate", "审核收录"),
        ("replicate", "推广复制"), ("publish", "公开"), ("unpublish", "撤回公开"), ("login_locked", "账户锁定"),
        ("assign_role", "调整角色"), ("permission_denied", "越权访问被拒"), ("reauthenticate", "再次确认身份"),
        ("reauthenticate_failed", "再次确认身份失败"), ("export_personal_data", "导出个人信息"), ("export", "导出"),
    ]

    /// At most this many entries in one export (newest first); a narrower filter gets the rest.
    static let exportLimit = 100_000

    func register(_ g: Guarded) {
        g.get("audit", action: .viewAudit, use: index)
        // Up to 100,000 entries read and written as CSV: on the CPU threads, not an event loop.
        g.get("audit.csv", action: .viewAudit, use: CPUWork.whole(export))
    }

    /// The filtered log as CSV for the audit administrator; the export itself is audited.
    @Sendable func export(req: Request) async throws -> Response {
        let filter = AuditFilter(req)
        let page = try await filter.page(ListQuery(page: 1, per: Self.exportLimit), scope: req.resolvedRegionScope, on: req.db)
        let actionNames = Dictionary(uniqueKeysWithValues: Self.actionNames)
        let typeNames = Dictionary(uniqueKeysWithValues: Self.entityTypeNames)
        let rows = [["序号", "时间", "操作人", "操作", "对象", "对象编号", "修改前", "修改后", "IP", "哈希"]] + page.items.map {
            [
                String($0.seq ?? 0), DisplayTime.format($0.at), $0.actorUsername, actionNames[$0.action] ?? $0.action,
                typeNames[$0.entityType] ?? $0.entityType, $0.entityID ?? "", $0.beforeJSON ?? "", $0.afterJSON ?? "", $0.ip ?? "",
                $0.hash ?? "",
            ]
        }
        try await AuditLog.record(
            on: req.db, req: req, actor: try req.currentUser(), action: "export", entityType: "audit", entityID: nil, before: noSnapshot,
            after: ["entityType": filter.entityType, "action": filter.action, "actor": filter.actor, "rows": String(page.items.count)])
        return Downloads.file(CSVWriter.write(rows), name: "审计日志.csv", type: "text/csv; charset=utf-8")
    }

    @Sendable func index(req: Request) async throws -> View {
        let lq = ListQuery(req, defaultPer: 50)
        let filter = AuditFilter(req)
        let page = try await filter.page(lq, scope: req.resolvedRegionScope, on: req.db)
        let actionNames = Dictionary(uniqueKeysWithValues: Self.actionNames)
        let typeNames = Dictionary(uniqueKeysWithValues: Self.entityTypeNames)
        let rows = page.items.map {
            Row(
                at: DisplayTime.format($0.at), actor: $0.actorUsername, action: actionNames[$0.action] ?? $0.action,
                entityType: typeNames[$0.entityType] ?? $0.entityType,
                entityID: $0.entityID ?? "", before: $0.beforeJSON ?? "", after: $0.afterJSON ?? "", ip: $0.ip ?? "")
        }
        let types = ([("", "全部")] + Self.entityTypeNames).map {
            SelectOption(value: $0.0, label: $0.1, selected: $0.0 == filter.entityType)
        }
        let actions = ([("", "全部")] + Self.actionNames).map { SelectOption(value: $0.0, label: $0.1, selected: $0.0 == filter.action) }
        return try await req.render(
            "audit/index", title: "审计日志",
            Body(
                rows: rows,
                pager: Pager(
                    metadata: page.metadata, basePath: "/audit",
                    extra: ["entityType": filter.entityType, "action": filter.action, "actor": filter.actor]),
                entityType: filter.entityType, action: filter.action, actor: filter.actor, entityTypes: types,
                actions: actions))
    }
}
