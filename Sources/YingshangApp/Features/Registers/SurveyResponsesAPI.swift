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
        case .stored: return Self.ack("received", token: body.token ?? "", status: .created)
        case .alreadyReceived: return Self.ack("already_received", token: body.token ?? "", status: .ok)
        }
    }

    /// `{"status","token"}` (the token echoed so a client sending many submissions can match each acknowledgement to its
    /// token), written directly: the encoder was a fiftieth of a submission.
    static func ack(_ status: String, token: String, status code: HTTPResponseStatus) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        let text = #"{"status":"# + JSONText.string(status) + #","token":"# + JSONText.string(token) + "}"
        return Response(status: code, headers: headers, body: .init(string: text))
    }
}
