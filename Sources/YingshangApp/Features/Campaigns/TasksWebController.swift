import Fluent
import Vapor
import YingshangCore

/// `/campaigns/:id/tasks`: phase tasks with filters; units move their own tasks' status.
struct TasksWebController {
    struct Row: Encodable {
        let task: TaskDTO
        let overdue: Bool
        let mine: Bool
        let attachments: [FileLink]
    }

    struct FileLink: Encodable {
        let id: String
        let name: String
    }

    struct Body: Encodable {
        let campaignID: String
        let campaignName: String
        let rows: [Row]
        let pager: Pager
        let q: String
        let phase: String
        let status: String
        let phases: [SelectOption]
        let statuses: [SelectOption]
        let canManage: Bool
        let canUpdate: Bool
        let statusChoices: [SelectOption]
    }

    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "tasks", action: .viewCampaigns, use: index)
        g.get("campaigns", ":id", "tasks", "new", action: .manageCampaigns, use: new)
        g.post("campaigns", ":id", "tasks", action: .manageCampaigns, use: create)
        g.post("campaigns", ":id", "tasks", ":taskID", "status", action: .updateTaskStatus, use: updateStatus)
        g.get("campaigns", ":id", "tasks", ":taskID", "delete", action: .manageCampaigns, use: confirmDelete)
        g.post("campaigns", ":id", "tasks", ":taskID", "delete", action: .manageCampaigns, use: delete)
    }

    @Sendable func index(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        let id = try c.requireID()
        let lq = ListQuery(req, defaultPer: 30)
        let filter = TaskService.Filter(
            phase: req.query[String.self, at: "phase"] ?? "", status: req.query[String.self, at: "status"] ?? "",
            unitID: req.query[String.self, at: "unit"].flatMap(UUID.init(uuidString:)), q: lq.q)
        let page = try await TaskService.search(c, filter: filter, lq: lq, by: req.caller())
        let unitIDs = Set(page.items.map { $0.$unit.id })
        let names = Dictionary(
            uniqueKeysWithValues: try await Unit.query(on: req.db).filter(\.$id ~~ unitIDs).all().compactMap { u in u.id.map { ($0, u.name) } })
        let calendar = try await CalendarDay.workCalendar(on: req.db)
        let today = req.clock.today
        let user = try req.currentUser()
        let role = try req.currentRole()
        let taskIDs = page.items.compactMap(\.id)
        var files: [UUID: [FileLink]] = [:]
        for a in try await TaskAttachment.query(on: req.db).filter(\.$task.$id ~~ taskIDs).sort(\.$createdAt).all() {
            files[a.$task.id, default: []].append(FileLink(id: a.id?.uuidString ?? "", name: a.name))
        }
        let rows = try page.items.map { t in
            let dto = try TaskService.dto(t, unitName: names[t.$unit.id] ?? "", calendar: calendar, today: today)
            let mine = !role.isUnitScoped || t.$unit.id == user.$unit.id
            // Another unit's attachments are not offered: their download answers 403.
            return Row(task: dto, overdue: dto.workdaysOverdue > 0, mine: mine, attachments: mine ? t.id.flatMap { files[$0] } ?? [] : [])
        }
        let body = Body(
            campaignID: id.uuidString, campaignName: c.name, rows: rows,
            pager: Pager(
                metadata: page.metadata, basePath: SiteURL.campaign(id, .tasks),
                extra: ["q": lq.q, "phase": filter.phase, "status": filter.status]),
            q: lq.q, phase: filter.phase, status: filter.status,
            phases: [SelectOption(value: "", label: "全部阶段", selected: filter.phase.isEmpty)]
                + PhaseKind.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == filter.phase) },
            statuses: [SelectOption(value: "", label: "全部状态", selected: filter.status.isEmpty)]
                + WorkStatus.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == filter.status) },
            canManage: req.offers(.manageCampaigns), canUpdate: Permissions.allows(role, .updateTaskStatus),
            statusChoices: WorkStatus.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: false) })
        return try await req.render("campaigns/tasks", title: "工作任务", body)
    }

    struct FormBody: Encodable {
        let campaignID: String
        let values: TaskInput
        let errors: [String: String]
        let phases: [SelectOption]
        let units: [SelectOption]
        let indicators: [SelectOption]
        let period: String
    }

    private func form(_ req: Request, _ c: Campaign, values: TaskInput, errors: [String: String]) async throws -> View {
        let d = try await CampaignService.details(c, on: req.db)
        let units = try await Unit.query(on: req.db).sort(\.$code).all()
        let body = FormBody(
            campaignID: try c.requireID().uuidString, values: values, errors: errors,
            phases: PhaseKind.allCases.map { SelectOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == values.phase) },
            units: [SelectOption(value: "", label: "（请选择）", selected: values.unitID.trimmed.isEmpty)]
                + units.map { SelectOption(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id?.uuidString == values.unitID) },
            indicators: [SelectOption(value: "", label: "（不关联指标）", selected: values.indicatorCode.trimmed.isEmpty)]
                + d.indicators.map { SelectOption(value: $0.code, label: $0.name, selected: $0.code == values.indicatorCode) },
            period: "\(c.startDate) 至 \(c.endDate)")
        return try await req.render("campaigns/task-form", title: "新建任务", body)
    }

    @Sendable func new(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        return try await form(req, c, values: TaskInput(phase: PhaseKind.training.rawValue), errors: [:])
    }

    @Sendable func create(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let input = try req.content.decode(TaskInput.self)
        return try await req.submitForm(
            successMessage: "已新建任务", redirectTo: try c.url(.tasks),
            renderForm: { try await form(req, c, values: input, errors: $0) },
            write: { _ = try await TaskService.create(c, input, by: req.caller()) })
    }

    @Sendable func updateStatus(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let t = try await req.loadTask(of: c)
        let input = try req.content.decode(TaskStatusInput.self)
        try await TaskService.updateStatus(t, input, by: req.caller())
        req.setFlash("已更新“\(t.title)”的状态为\(t.workStatus.chineseName)")
        return req.redirect(to: try c.url(.tasks))
    }

    @Sendable func confirmDelete(req: Request) async throws -> View {
        let c = try await req.loadCampaign()
        let t = try await req.loadTask(of: c)
        return try await req.render(
            "shared/confirm-delete", title: "确认删除",
            ConfirmDeletePage(
                heading: "删除任务", description: "\(t.title)（截止 \(t.deadline)）",
                action: "/campaigns/\(try c.requireID())/tasks/\(try t.requireID())/delete",
                cancelHref: try c.url(.tasks)))
    }

    @Sendable func delete(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let t = try await req.loadTask(of: c)
        try await TaskService.delete(t, by: req.caller())
        req.setFlash("已删除任务")
        return req.redirect(to: try c.url(.tasks))
    }
}
