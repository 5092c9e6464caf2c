import Fluent
import Vapor
import YingshangCore

/// `/api/v1/campaigns`: campaigns, the responsibility matrix, the filing schedule and tasks.
struct CampaignsAPIController {
    func register(_ g: Guarded) {
        g.get("campaigns", action: .viewCampaigns, use: list)
        g.post("campaigns", action: .manageCampaigns, use: create)
        g.get("campaigns", ":id", action: .viewCampaigns, use: show)
        g.put("campaigns", ":id", action: .manageCampaigns, use: update)
        g.post("campaigns", ":id", "start", action: .manageCampaigns, use: start)
        g.post("campaigns", ":id", "carry-over", action: .manageCampaigns, use: carryOver)
        g.get("campaigns", ":id", "assignments", action: .viewCampaigns, use: matrix)
        g.put("campaigns", ":id", "assignments", ":assignmentID", action: .manageCampaigns, use: updateAssignment)
        g.post("campaigns", ":id", "assignments", ":assignmentID", "confirm", action: .confirmAssignment, use: confirm)
        g.get("campaigns", ":id", "schedule", action: .viewCampaigns, use: schedule)
        g.post("campaigns", ":id", "schedule", action: .manageCampaigns, use: generateSchedule)
        g.get("campaigns", ":id", "tasks", action: .viewCampaigns, use: tasks)
        g.post("campaigns", ":id", "tasks", action: .manageCampaigns, use: createTask)
        g.put("campaigns", ":id", "tasks", ":taskID", "status", action: .updateTaskStatus, use: taskStatus)
    }

    @Sendable func list(req: Request) async throws -> [CampaignDTO] {
        var out: [CampaignDTO] = []
        for c in try await req.visibleCampaigns().sort(\.$year, .descending).all() {
            out.append(try await CampaignService.dto(c, on: req.db))
        }
        return out
    }

    @Sendable func create(req: Request) async throws -> Response {
        let c = try await CampaignService.create(try req.content.decode(CampaignInput.self), by: req.caller())
        return try await CampaignService.dto(c, on: req.db).encodeResponse(status: .created, for: req)
    }

    @Sendable func show(req: Request) async throws -> CampaignDTO {
        try await CampaignService.dto(try await req.loadCampaign(), on: req.db)
    }

    @Sendable func update(req: Request) async throws -> CampaignDTO {
        let c = try await req.loadCampaign()
        try await CampaignService.update(c, try req.content.decode(CampaignInput.self), by: req.caller())
        return try await CampaignService.dto(c, on: req.db)
    }

    @Sendable func start(req: Request) async throws -> CampaignDTO {
        let c = try await req.loadCampaign()
        try await CampaignService.start(c, by: req.caller())
        return try await CampaignService.dto(c, on: req.db)
    }

    /// Next year's campaign from this one (`{name?, year?}`); 201 with the new campaign.
    @Sendable func carryOver(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let input = req.body.data == nil ? CarryOverInput(name: nil, year: nil) : try req.content.decode(CarryOverInput.self)
        let out = try await CampaignService.carryOver(c, input, by: req.caller())
        return try await CampaignService.dto(out.campaign, on: req.db).encodeResponse(status: .created, for: req)
    }

    @Sendable func matrix(req: Request) async throws -> [AssignmentDTO] {
        let c = try await req.loadCampaign()
        let region = try req.selectedRegion(among: try await CampaignService.details(c, on: req.db).regions)
        return try await AssignmentService.matrix(c, regionID: try region.requireID(), on: req.db)
    }

    private func one(_ req: Request, _ c: Campaign, _ a: Assignment) async throws -> AssignmentDTO {
        let rows = try await AssignmentService.matrix(c, regionID: a.$region.id, on: req.db)
        guard let row = rows.first(where: { $0.id == a.id }) else { throw AppError.notFound("指标分工") }
        return row
    }

    @Sendable func updateAssignment(req: Request) async throws -> AssignmentDTO {
        let c = try await req.loadCampaign()
        let a = try await req.loadAssignment(of: c)
        try await AssignmentService.update(a, try req.content.decode(AssignmentInput.self), by: req.caller())
        return try await one(req, c, a)
    }

    @Sendable func confirm(req: Request) async throws -> AssignmentDTO {
        let c = try await req.loadCampaign()
        let a = try await req.loadAssignment(of: c)
        try await AssignmentService.confirm(a, by: req.caller())
        return try await one(req, c, a)
    }

    @Sendable func schedule(req: Request) async throws -> [ScheduleEntryDTO] {
        let c = try await req.loadCampaign()
        let region = try req.selectedRegion(among: try await CampaignService.details(c, on: req.db).regions)
        return try await ScheduleService.entries(c, regionID: try region.requireID(), on: req.db)
    }

    @Sendable func generateSchedule(req: Request) async throws -> [ScheduleEntryDTO] {
        let c = try await req.loadCampaign()
        _ = try await ScheduleService.generate(c, try req.content.decode(ScheduleInput.self), by: req.caller())
        return try await schedule(req: req)
    }

    @Sendable func tasks(req: Request) async throws -> Listing<TaskDTO> {
        let c = try await req.loadCampaign()
        let lq = ListQuery(req, defaultPer: 50)
        let filter = TaskService.Filter(
            phase: req.query[String.self, at: "phase"] ?? "", status: req.query[String.self, at: "status"] ?? "",
            unitID: req.query[String.self, at: "unit"].flatMap(UUID.init(uuidString:)), q: lq.q)
        let page = try await TaskService.search(c, filter: filter, lq: lq, by: req.caller())
        let names = Dictionary(
            uniqueKeysWithValues: try await Unit.query(on: req.db).all().compactMap { u in u.id.map { ($0, u.name) } })
        let calendar = try await CalendarDay.workCalendar(on: req.db)
        let today = req.clock.today
        return Listing(
            items: try page.items.map { try TaskService.dto($0, unitName: names[$0.$unit.id] ?? "", calendar: calendar, today: today) },
            page: lq.page, per: lq.per, total: page.metadata.total)
    }

    @Sendable func createTask(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let t = try await TaskService.create(c, try req.content.decode(TaskInput.self), by: req.caller())
        let unit = try await Unit.find(t.$unit.id, on: req.db)
        return try await TaskService.dto(
            t, unitName: unit?.name ?? "", calendar: try await CalendarDay.workCalendar(on: req.db), today: req.clock.today
        ).encodeResponse(status: .created, for: req)
    }

    @Sendable func taskStatus(req: Request) async throws -> TaskDTO {
        let c = try await req.loadCampaign()
        let t = try await req.loadTask(of: c)
        try await TaskService.updateStatus(t, try req.content.decode(TaskStatusInput.self), by: req.caller())
        let unit = try await Unit.find(t.$unit.id, on: req.db)
        return try TaskService.dto(
            t, unitName: unit?.name ?? "", calendar: try await CalendarDay.workCalendar(on: req.db), today: req.clock.today)
    }
}
