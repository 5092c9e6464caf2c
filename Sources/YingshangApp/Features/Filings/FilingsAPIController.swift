import Fluent
import Vapor
import YingshangCore

/// `/api/v1/filings`: open, read, save (with `version`, 409 on a lost race), transitions and evidence upload.
struct FilingsAPIController {
    func register(_ g: Guarded) {
        g.post("campaigns", ":id", "filings", ":indicator", action: .viewFilings, use: open)
        g.get("filings", ":filingID", action: .viewFilings, use: show)
        g.put("filings", ":filingID", action: .editFilings, use: save)
        g.post("filings", ":filingID", "transitions", action: .transitionFilings, use: transition)
        g.putStream("filings", ":filingID", "evidence", action: .editFilings, use: upload)
    }

    /// Finds or creates the filing of an indicator (`?region=`) for its lead unit.
    @Sendable func open(req: Request) async throws -> FilingDTO {
        let c = try await CampaignService.find(req)
        let region = try CampaignService.region(req, try await CampaignService.details(c, on: req.db))
        let f = try await FilingService.open(
            campaign: c, regionID: try region.requireID(), indicatorCode: req.parameters.get("indicator") ?? "", req: req)
        return try await FilingService.dto(f, on: req.db)
    }

    @Sendable func show(req: Request) async throws -> FilingDTO {
        try await FilingService.dto(try await FilingService.find(req), on: req.db)
    }

    @Sendable func save(req: Request) async throws -> FilingDTO {
        let f = try await FilingService.find(req)
        let input = try req.content.decode(FilingSaveInput.self)
        try await FilingService.save(f, answers: input.answers ?? [:], expectedVersion: input.version, req: req)
        return try await FilingService.dto(f, on: req.db)
    }

    @Sendable func transition(req: Request) async throws -> FilingDTO {
        let f = try await FilingService.find(req)
        try await FilingService.transition(f, try req.content.decode(FilingTransitionInput.self), req: req)
        return try await FilingService.dto(f, on: req.db)
    }

    @Sendable func upload(req: Request) async throws -> Response {
        let f = try await FilingService.find(req)
        let a = try await EvidenceStore.attach(f, req: req)
        return try await FilingDTO.Attachment(
            id: try a.requireID(), itemCode: a.itemCode, name: a.name, size: a.size, sha256: a.sha256,
            uploadedBy: a.uploadedBy, uploadedAt: a.createdAt
        ).encodeResponse(status: .created, for: req)
    }
}
