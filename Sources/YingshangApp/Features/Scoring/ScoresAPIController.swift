import Fluent
import Vapor
import YingshangCore

/// `GET /api/v1/campaigns/{id}/scores` (latest run) and `POST /api/v1/campaigns/{id}/scoring-runs`.
struct ScoresAPIController {
    struct RunDTO: Content {
        let id: UUID
        let number: Int
        let createdAt: Date?
        let createdBy: String
        let catalogVersion: String
        let warnings: [String]
        let regions: [RegionScore]
    }

    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "scores", action: .viewScores, use: latest)
        g.post("campaigns", ":id", "scoring-runs", action: .runScoring, use: run)
    }

    static func dto(_ run: ScoringRun, scope: RegionScope) throws -> RunDTO {
        let result = try run.result(for: scope)
        return RunDTO(
            id: try run.requireID(), number: run.number, createdAt: run.createdAt, createdBy: run.createdBy,
            catalogVersion: try run.inputs().catalogVersion, warnings: result.warnings, regions: result.regions)
    }

    @Sendable func latest(req: Request) async throws -> RunDTO {
        let c = try await req.loadCampaign()
        return try Self.dto(try await ScoringService.requireLatest(c, on: req.db), scope: req.resolvedRegionScope)
    }

    @Sendable func run(req: Request) async throws -> Response {
        let c = try await req.loadCampaign()
        let run = try await ScoringService.run(c, by: req.caller(), clock: req.clock, on: req.db)
        let res = try await Self.dto(run, scope: req.resolvedRegionScope).encodeResponse(for: req)
        res.status = .created
        return res
    }
}
