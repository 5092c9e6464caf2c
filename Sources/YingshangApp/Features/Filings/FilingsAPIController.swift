import Fluent
import Vapor
import YingshangCore

/// `/api/v1/filings`: open, read, save (with `version`, 409 on a lost race), transitions and evidence upload.
struct FilingsAPIController {
    func register(_ g: Guarded) {
        g.post("campaigns", ":id", "filings", ":indicator", action: .editFilings, use: open)
        g.get("filings", ":filingID", action: .viewFilings, use: show)
        g.put("filings", ":filingID", action: .editFilings, use: save)
        g.post("filings", ":filingID", "transitions", action: .transitionFilings, use: transition)
        g.putStream("filings", ":filingID", "evidence", action: .editFilings, use: upload)
        g.post("filings", ":filingID", "contributions", action: .editFilings, use: assign)
        g.put("filings", ":filingID", "contribution", action: .editFilings, use: contribute)
        g.post("filings", ":filingID", "contributions", ":contributionID", "merge", action: .editFilings, use: merge)
    }

    struct AssignBody: Content {
        var unitID: UUID?
        var items: [String]?
    }

    struct ContributionBody: Content {
        var answers: [String: String]?
        var submit: Bool?
    }

    struct ContributionDTO: Content {
        let id: UUID
        let unitID: UUID
        let items: [String]
        let answers: [String: String]
        let state: String
    }

    private func contributions(_ f: Filing, on db: any Database) async throws -> [ContributionDTO] {
        try await FilingContribution.query(on: db).filter(\.$filing.$id == (try f.requireID())).all().map {
            ContributionDTO(id: try $0.requireID(), unitID: $0.$unit.id, items: $0.items, answers: $0.answers, state: $0.state)
        }
    }

    /// The lead unit assigns items to a cooperating unit.
    @Sendable func assign(req: Request) async throws -> [ContributionDTO] {
        let f = try await req.loadFiling()
        let body = try req.content.decode(AssignBody.self)
        guard let unit = body.unitID else { throw AppError.invalid(["unitID": "请选择配合单位"]) }
        try await ContributionService.assign(f, unitID: unit, items: body.items ?? [], by: req.caller())
        return try await contributions(f, on: req.db)
    }

    /// A cooperating unit saves or submits its answers.
    @Sendable func contribute(req: Request) async throws -> [ContributionDTO] {
        let f = try await req.loadFiling()
        let body = try req.content.decode(ContributionBody.self)
        try await ContributionService.save(f, answers: body.answers ?? [:], submit: body.submit ?? false, by: req.caller())
        return try await contributions(f, on: req.db).filter { $0.unitID == (try req.currentUser().$unit.id) }
    }

    @Sendable func merge(req: Request) async throws -> FilingDTO {
        let f = try await req.loadFiling()
        try await ContributionService.merge(f, contributionID: try req.uuidParameter("contributionID"), by: req.caller())
        return try await FilingService.dto(f, on: req.db)
    }

    /// Finds or creates the filing of an indicator (`?region=`) for its lead unit.
    @Sendable func open(req: Request) async throws -> FilingDTO {
        let c = try await req.loadCampaign()
        let region = try req.selectedRegion(among: try await CampaignService.details(c, on: req.db).regions)
        let f = try await FilingService.open(
            campaign: c, regionID: try region.requireID(), indicatorCode: req.parameters.get("indicator") ?? "", by: req.caller())
        return try await FilingService.dto(f, on: req.db)
    }

    @Sendable func show(req: Request) async throws -> FilingDTO {
        try await FilingService.dto(try await req.loadFiling(), on: req.db)
    }

    @Sendable func save(req: Request) async throws -> FilingDTO {
        let f = try await req.loadFiling()
        let input = try req.content.decode(FilingSaveInput.self)
        try await FilingService.save(f, answers: input.answers ?? [:], expectedVersion: input.version, by: req.caller())
        return try await FilingService.dto(f, on: req.db)
    }

    @Sendable func transition(req: Request) async throws -> FilingDTO {
        let f = try await req.loadFiling()
        try await FilingService.transition(f, try req.content.decode(FilingTransitionInput.self), by: req.caller())
        return try await FilingService.dto(f, on: req.db)
    }

    @Sendable func upload(req: Request) async throws -> Response {
        let f = try await req.loadFiling()
        let a = try await EvidenceStore.attach(f, req: req)
        return try await FilingDTO.Attachment(
            id: try a.requireID(), itemCode: a.itemCode, name: a.name, size: a.size, sha256: a.sha256,
            uploadedBy: a.uploadedBy, uploadedAt: a.createdAt
        ).encodeResponse(status: .created, for: req)
    }
}
