import Fluent
import PostgresKit
import SQLKit
import Vapor

/// What the public survey page and a submission need of one response, read with one SQL statement by its token: these
/// are the requests most enterprises make, and Fluent's model decoding of the response and its enterprise was a third
/// of a page view's cost.
struct SurveyVisit: Sendable {
    let id: UUID
    let token: String
    let status: String
    let answersJSON: String
    let expiresAt: Date?
    let templateID: UUID
    let drawID: UUID
    let enterprise: String

    func isExpired(at now: Date) -> Bool { SurveyResponse.isExpired(expiresAt, at: now) }

    /// What the enterprise's page shows at `now`: the form, "submitted" or "expired".
    func pageState(at now: Date) -> SurveyPageState { status == "submitted" ? .done : (isExpired(at: now) ? .expired : .open) }

    var answers: [String: String] { SurveyResponse.answers(fromJSON: answersJSON) }

    /// The responses of `tokens` (those of a plausible length) with one statement, by token; without the enterprise's
    /// name. A batch of submissions reads its responses through this.
    static func find(tokens: [String], on db: any Database) async throws -> [String: SurveyVisit] {
        let wanted = Array(Set(tokens.filter { (16...64).contains($0.utf8.count) }))
        guard !wanted.isEmpty else { return [:] }
        var query = SQLQueryString("""
            SELECT r.id, r.token, r.status, r.answers, r.expires_at, r.template_id, r.draw_id
            FROM \(ident: SurveyResponse.schema) r WHERE r.token IN
            """)
        query.appendList(wanted)
        var out: [String: SurveyVisit] = [:]
        for row in try await db.sql().raw(query).all() {
            let visit = try decode(row, enterprise: false)
            out[visit.token] = visit
        }
        return out
    }

    private static func decode(_ row: any SQLRow, enterprise: Bool) throws -> SurveyVisit {
        SurveyVisit(
            id: try row.decode(column: "id", as: UUID.self), token: try row.decode(column: "token", as: String.self), status: try row.decode(column: "status", as: String.self),
            answersJSON: try row.decode(column: "answers", as: String.self),
            expiresAt: try row.decode(column: "expires_at", as: Date?.self),
            templateID: try row.decode(column: "template_id", as: UUID.self), drawID: try row.decode(column: "draw_id", as: UUID.self),
            enterprise: enterprise ? try row.decode(column: "name", as: String.self) : "")
    }

    /// `enterprise: false` (a submission) skips the join for the enterprise's name and leaves it empty.
    static func find(token: String, enterprise: Bool = true, on db: any Database) async throws -> SurveyVisit? {
        try await find(token: token, enterprise: enterprise, on: db, eventLoop: db.eventLoop).get()
    }

    /// `find(token:)` as a future: the survey page reads it on its event loop (`PreparedStatements.rows`).
    static func find(token: String, enterprise: Bool = true, on db: any Database, eventLoop: any EventLoop) -> EventLoopFuture<SurveyVisit?> {
        // Tokens are 26 characters; a short or very long one is not looked up at all.
        guard (16...64).contains(token.utf8.count) else { return eventLoop.makeSucceededFuture(nil) }
        return PreparedStatements.rows(PostgresStatement(token: token, enterprise: enterprise), on: db, eventLoop: eventLoop) { sql in
            enterprise
                ? sql.raw("""
                    SELECT r.id, r.token, r.status, r.answers, r.expires_at, r.template_id, r.draw_id, e.name
                    FROM \(ident: SurveyResponse.schema) r JOIN \(ident: Enterprise.schema) e ON e.id = r.enterprise_id
                    WHERE r.token = \(bind: token)
                    """)
                : sql.raw("""
                    SELECT r.id, r.token, r.status, r.answers, r.expires_at, r.template_id, r.draw_id
                    FROM \(ident: SurveyResponse.schema) r WHERE r.token = \(bind: token)
                    """)
        }.flatMapThrowing { rows in try rows.first.map { try decode($0, enterprise: enterprise) } }
    }

    /// Both forms of `find(token:)` in one statement on PostgreSQL, prepared once per connection (`PreparedRead`):
    /// the enterprise is joined only when `$2` asks for its name, and then must exist (as the inner join above).
    private struct PostgresStatement: PreparedRead {
        static let name = "yingshang_survey_visit"
        static let sql = """
            SELECT r.id, r.token, r.status, r.answers, r.expires_at, r.template_id, r.draw_id, e.name
            FROM \(SurveyResponse.schema) r LEFT JOIN \(Enterprise.schema) e ON $2 AND e.id = r.enterprise_id
            WHERE r.token = $1 AND (NOT $2 OR e.id IS NOT NULL)
            """
        let token: String
        let enterprise: Bool
        func makeBindings() throws -> PostgresBindings { try .of(token, enterprise) }
    }
}

/// What an enterprise's survey page shows: the form, "submitted" or "expired".
enum SurveyPageState: Hashable, Sendable { case open, done, expired }
