import Fluent
import LeafKit
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

    func isExpired(at now: Date) -> Bool { expiresAt.map { $0 < now } ?? false }

    var answers: [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(answersJSON.utf8))) ?? [:]
    }

    static func find(token: String, on db: any Database) async throws -> SurveyVisit? {
        // Tokens are 26 characters; a short or very long one is not looked up at all.
        guard (16...64).contains(token.utf8.count) else { return nil }
        let sql = try db.sql()
        guard let row = try await sql.raw("""
            SELECT r.id, r.token, r.status, r.answers, r.expires_at, r.template_id, r.draw_id, e.name
            FROM \(ident: SurveyResponse.schema) r JOIN \(ident: Enterprise.schema) e ON e.id = r.enterprise_id
            WHERE r.token = \(bind: token)
            """).first()
        else { return nil }
        return SurveyVisit(
            id: try row.decode(column: "id", as: UUID.self), token: try row.decode(column: "token", as: String.self), status: try row.decode(column: "status", as: String.self),
            answersJSON: try row.decode(column: "answers", as: String.self),
            expiresAt: try row.decode(column: "expires_at", as: Date?.self),
            templateID: try row.decode(column: "template_id", as: UUID.self), drawID: try row.decode(column: "draw_id", as: UUID.self),
            enterprise: try row.decode(column: "name", as: String.self))
    }
}

/// A survey page rendered once with markers where the visit's token, enterprise name and CSRF token go, filled per
/// visit with those values HTML-escaped exactly as Leaf's `#( )` would.
struct SurveyPageSkeleton: Sendable {
    enum State: Hashable, Sendable { case open, done, expired }

    /// Private-use characters: never in a template, and left as they are by Leaf's escaping.
    enum Marker: Character, CaseIterable, Sendable {
        case token = "t", enterprise = "e", csrf = "c"
        static let lead: Character = "\u{E000}"
        var text: String { String(Self.lead) + String(rawValue) }
    }

    /// Text before the first marker, then each marker with the text that follows it.
    private let head: [UInt8]
    private let parts: [(marker: Marker, tail: [UInt8])]

    init(rendered: String) {
        var pieces = rendered.split(separator: Marker.lead, omittingEmptySubsequences: false)
        head = Array(pieces.removeFirst().utf8)
        parts = pieces.compactMap { piece in
            guard let first = piece.first, let marker = Marker(rawValue: first) else { return nil }
            return (marker, Array(piece.dropFirst().utf8))
        }
    }

    func fill(token: String, enterprise: String, csrf: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        let values: [Marker: String] = [.token: token.htmlEscaped(), .enterprise: enterprise.htmlEscaped(), .csrf: csrf.htmlEscaped()]
        var buffer = allocator.buffer(capacity: head.count + parts.reduce(0) { $0 + $1.tail.count } + 256)
        buffer.writeBytes(head)
        for p in parts {
            buffer.writeString(values[p.marker] ?? "")
            buffer.writeBytes(p.tail)
        }
        return buffer
    }
}
