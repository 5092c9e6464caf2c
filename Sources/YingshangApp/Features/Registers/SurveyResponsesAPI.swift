import Fluent
import Vapor
import YingshangCore
import YingshangOffice

/// `POST /api/v1/survey-responses` `{"token","answers"}`: 201 once the response is committed; 200 for a repeat.
struct SurveyResponsesAPI {
    struct Body: Content {
        var token: String?
        var answers: [String: String]?
    }

    struct Ack: Content {
        let status: String
        /// Echoed so a client sending many submissions can match each acknowledgement to its token.
        let token: String
    }

    func register(_ api: any RoutesBuilder) {
        api.post("survey-responses", use: create).markPublic()
    }

    @Sendable func create(req: Request) async throws -> Response {
        let body: Body
        // The plain JSON shape is read directly; anything else (and any error message) comes from Vapor's decoder.
        if SubmissionJSON.isJSON(contentType: req.headers.first(name: .contentType)), let data = req.body.data,
            let plain = data.withUnsafeReadableBytes({ SubmissionJSON.parse($0) }) {
            body = Body(token: plain.token, answers: plain.answers)
        } else {
            body = try req.content.decode(Body.self)
        }
        let queue = req.application.surveyWriteQueue
        switch try await SurveyService.submit(token: body.token ?? "", answers: body.answers ?? [:], final: true, now: req.clock.now(), on: req.db, queue: queue) {
        case .stored: return try await Ack(status: "received", token: body.token ?? "").encodeResponse(status: .created, for: req)
        case .alreadyReceived: return try await Ack(status: "already_received", token: body.token ?? "").encodeResponse(status: .ok, for: req)
        }
    }
}
