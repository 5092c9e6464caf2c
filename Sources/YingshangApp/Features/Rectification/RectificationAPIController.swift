import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `GET /api/v1/rectifications?campaign=&status=&overdue=1` and `POST /api/v1/rectifications`.
struct RectificationAPIController {
    func register(_ g: Guarded) {
        g.get("rectifications", action: .viewRectifications, use: list)
        g.post("rectifications", action: .editRectifications, use: create)
    }

    @Sendable func list(req: Request) async throws -> [RectificationDTO] {
        try await RectificationWebController.items(req, .init(req))
    }

    @Sendable func create(req: Request) async throws -> Response {
        let r = try await RectificationService.create(try req.content.decode(RectificationInput.self), by: req.caller())
        guard let dto = try await RectificationWebController.dtos([r], today: req.clock.today, on: req.db).first else { throw AppError.notFound("整改事项") }
        return try await dto.encodeResponse(status: .created, for: req)
    }
}
