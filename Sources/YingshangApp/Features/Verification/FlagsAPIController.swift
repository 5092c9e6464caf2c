import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `GET /api/v1/campaigns/{id}/flags`, `POST /api/v1/flags/{flagID}/decision`, `POST /api/v1/flags/{flagID}/response`.
struct FlagsAPIController {
    struct FlagDTO: Content {
        let id: UUID
        let rule: String
        let indicatorCode: String?
        let subCode: String?
        let unitID: UUID?
        let filedValue: String?
        let observedValue: String?
        let evidence: String
        let severity: String
        let status: String
        let decisionNote: String?
        let response: String?
        let responseDeadline: String
    }

    static func dto(_ f: VerificationFlag) throws -> FlagDTO {
        FlagDTO(
            id: try f.requireID(), rule: f.rule, indicatorCode: f.indicatorCode, subCode: f.subCode, unitID: f.$unit.id, filedValue: f.filedValue,
            observedValue: f.observedValue, evidence: f.evidence, severity: f.severity, status: f.status, decisionNote: f.decisionNote,
            response: f.response, responseDeadline: f.responseDeadline)
    }

    func register(_ g: Guarded) {
        g.get("campaigns", ":id", "flags", action: .viewFlags, use: list)
        g.post("flags", ":flagID", "decision", action: .manageVerification, use: decide)
        g.post("flags", ":flagID", "response", action: .respondFlags, use: respond)
    }

    @Sendable func list(req: Request) async throws -> [FlagDTO] {
        let c = try await req.loadCampaign()
        return try await FlagsWebController.visibleFlags(req, campaign: c).all().map(Self.dto)
    }

    struct DecisionInput: Content {
        var status: String?
        var note: String?
    }

    @Sendable func decide(req: Request) async throws -> FlagDTO {
        let f = try await req.loadFlag()
        let input = try req.content.decode(DecisionInput.self)
        try await VerificationService.decide(f, status: input.status, note: input.note, by: req.caller())
        return try Self.dto(f)
    }

    struct ResponseInput: Content {
        var response: String?
    }

    @Sendable func respond(req: Request) async throws -> FlagDTO {
        let f = try await req.loadFlag()
        try await VerificationService.respond(f, text: try req.content.decode(ResponseInput.self).response, by: req.caller())
        return try Self.dto(f)
    }
}
